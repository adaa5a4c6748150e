// Hand-written programs in the proposable subset, formatted as a procedural generator would write
// them (2-space indentation). Tests check that the tokenizer round-trips them and that the program
// grammar can produce each one token by token.

export const PROGRAMS: readonly string[] = [
  `function f(x) {
  return x;
}`,
  `function f(arr) {
  return arr.map((x) => x * 2);
}`,
  `function f(nums) {
  return nums.reduce((acc, x) => acc + x, 0);
}`,
  `function f(arr) {
  return arr.filter(x => x % 2 === 0);
}`,
  `function f(s) {
  return s.split('').reverse().join('');
}`,
  `function f(str) {
  let count = 0;
  for (const ch of str) {
    if ('aeiou'.includes(ch)) {
      count++;
    }
  }
  return count;
}`,
  `function f(n) {
  let res = 1;
  for (let i = 2; i <= n; i++) {
    res *= i;
  }
  return res;
}`,
  `function f(n) {
  return n < 2 ? n : f(n - 1) + f(n - 2);
}`,
  `function f(arr) {
  return Math.max(...arr);
}`,
  `function f(a, b) {
  return { sum: a + b, diff: a - b, prod: a * b };
}`,
  `function f(n) {
  let sum = 0;
  while (n > 0) {
    sum += n % 10;
    n = Math.floor(n / 10);
  }
  return sum;
}`,
  `function f(word) {
  const out = [];
  for (let i = 0; i < word.length; i++) {
    out.push(word.charCodeAt(i) - 96);
  }
  return out;
}`,
  `function f(str) {
  return str.split(' ').map(w => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}`,
  `function f(items) {
  const counts = {};
  for (const item of items) {
    counts[item] = (counts[item] || 0) + 1;
  }
  return counts;
}`,
  `function f(x) {
  if (x > 0) {
    return 'positive';
  } else if (x < 0) {
    return 'negative';
  }
  return 'zero';
}`,
  `function f(nums) {
  const res = [...nums].sort((a, b) => a - b);
  return res;
}`,
  `function f(val) {
  return typeof val === 'number' ? val * 2 : String(val).length;
}`,
  `function f(arr, t) {
  const res = [];
  for (let i = 0; i < arr.length; i++) {
    for (let j = i + 1; j < arr.length; j++) {
      if (arr[i] + arr[j] === t) {
        res.push([i, j]);
      }
    }
  }
  return res;
}`,
  `function f(arr, x) {
  let idx = -1;
  for (let i = 0; i < arr.length; i++) {
    if (arr[i] === x) {
      idx = i;
      break;
    }
  }
  return idx;
}`,
  `function f(nums) {
  let total = 0;
  for (const n of nums) {
    if (n < 0) continue;
    total += n;
  }
  return total;
}`,
  `function f(obj) {
  return Object.keys(obj).length;
}`,
  `function f(obj) {
  return Object.entries(obj).map(e => e[0] + '=' + e[1]).join(',');
}`,
  `function f(x) {
  return Array.isArray(x) ? x.length : -1;
}`,
  `function f(s) {
  const t = s.toLowerCase();
  return t === t.split('').reverse().join('');
}`,
  `function f(arr) {
  return arr.every(x => x > 0) && !arr.some(x => x > 100);
}`,
  `function f(n) {
  return String(n).padStart(5, '0');
}`,
  `function f(a, b) {
  return Math.abs(a - b) + Math.min(a, b) ** 2;
}`,
  `function f(n) {
  return n % 15 === 0 ? 'FizzBuzz' : n % 3 === 0 ? 'Fizz' : n % 5 === 0 ? 'Buzz' : n;
}`,
  `function f(rows) {
  return rows.flat().filter(x => x !== null);
}`,
  `function f(list, x) {
  return list.indexOf(x) !== -1 ? list.indexOf(x) : list.length;
}`,
  `function f(n) {
  let s = '';
  for (let i = 0; i < n; i++) {
    s += i % 2 === 0 ? 'a' : 'b';
  }
  return s;
}`,
  `function f(arr, x) {
  let lo = 0;
  let hi = arr.length - 1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (arr[mid] === x) {
      return mid;
    } else if (arr[mid] < x) {
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return -1;
}`,
  `function f(x) {
  return Math.round(x * 100) / 100 + 0.5 - 1e-3;
}`,
  `function f(a, b) {
  let tmp = a;
  a = b;
  b = tmp;
  return [a, b];
}`,
  `function f(rows) {
  return rows[0].map((v, i) => rows.map(row => row[i]));
}`,
  `function f(arr) {
  const out = arr.slice();
  out.unshift(out.pop());
  return out;
}`,
  `function f(nums) {
  const val = nums.reduce((a, b) => a + b, 0) / nums.length;
  return val.toFixed(2);
}`,
  `function f(nums) {
  const res = { pos: 0, neg: 0 };
  for (const x of nums) {
    if (x >= 0) {
      res.pos += 1;
    } else {
      res.neg += 1;
    }
  }
  return res;
}`,
  `function f(s) {
  return s.trim().startsWith('a') || s.endsWith('z');
}`,
  `function f(str) {
  return str.replace('a', 'b').toUpperCase();
}`,
  `function f(items) {
  return items.find(x => x.length > 3) || null;
}`,
  `function f(n) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push([i, i * i, [true, false, null]]);
  }
  return rows;
}`,
  `function f(a, b) {
  return a.concat(b).filter((x, i) => a.concat(b).indexOf(x) === i);
}`,
  `function f(x, y) {
  if (x > y) return x - y;
  return y - x;
}`,
  `function f(str) {
  let i = str.length - 1;
  let out = '';
  while (i >= 0) {
    out += str.charAt(i);
    i--;
  }
  return out;
}`,
  `function f(s) {
  return s.split(',').map(p => Number(p) * 2);
}`,
  `function f(obj) {
  return Object.values(obj).reduce((a, b) => a + b, 0);
}`,
  `function f(a, b) {
  while (b !== 0) {
    const t = b;
    b = a % b;
    a = t;
  }
  return a;
}`,
  `function f(str) {
  return Array.from(str).map(c => c.charCodeAt(0)).sort((a, b) => b - a);
}`,
  `function f(n, k) {
  const arr = [0, 0, 0].fill(n);
  arr.splice(1, 1, k);
  return arr.join('-');
}`,
  `function f(key) {
  return "hello " + key + "!";
}`,
  `function f(x, y) {
  return (-x) ** 2 + -y;
}`,
  `function f(n) {
  const out = [];
  for (let i = n; i > 0; i--) {
    out.push(Math.sqrt(i) + Math.pow(i, 2) - Math.trunc(i / 3) * Math.sign(i - 5) + Math.ceil(0.25));
  }
  return out;
}`,
  `function f(m, n) {
  let count = 0;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++)
      if ((i + j) % 2 === 1) count++;
  return count;
}`,
];

/** Argument lists (as written between a call's parentheses), one per program above. */
export const INPUTS: readonly string[] = [
  "'Hello world'", '[1, 2, 3]', '[4, 5, 6]', '[1, 2, 3, 4]', "'abc'", "'education'", '5', '10', '[3, 9, 2]',
  '7, 3', '1234', "'abc'", "'hello big world'", "['a', 'b', 'a']", '-4', '[3, 1, 2]', "'xyz'",
  '[1, 2, 3, 4], 5', '[5, 6, 7], 6', '[1, -2, 3]', '{"a": 1, "b": 2}', "{'x': 1, 'y': 2}", '[1, 2]',
  "'Level'", '[1, 50, 99]', '42', '2.5, -1', '30', '[[1, null], [2]]', "['a', 'b'], 'b'", '4',
  '[1, 3, 5, 7], 5', '3.14159', "'a', 'b'", '[[1, 2], [3, 4]]', '[1, 2, 3]', '[1, 2, 3, 4]',
  '[1, -1, 0]', "' abz'", "'banana'", "['ab', 'abcd']", '3', '[1, 2], [2, 3]', '2, 9', "'stressed'",
  "'1,2,3'", '{"a": 1e3, "b": -12.5}', '48, 18', "'cab'", '7, 8', "'world'", '3, 4', '6', '2, 3',
];
