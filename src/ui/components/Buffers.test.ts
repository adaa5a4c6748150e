import { describe, expect, it } from 'vitest';
import { pacedRows, rowWindow } from './Buffers';

describe('the buffers table window', () => {
  it('mounts the rows in view and a margin either side, never past the ends', () => {
    expect(rowWindow(0, 0)).toEqual({ first: 0, last: 0 });
    expect(rowWindow(0, 5)).toEqual({ first: 0, last: 5 });
    expect(rowWindow(0, 1000)).toEqual({ first: 0, last: 23 });
    // Scrolled to row 500: rows 500.. are in view, some before it are kept as margin.
    // Scrolled to row 500 (26 px rows, a 380 px view): rows 500–514 show, 8 more either side are mounted.
    expect(rowWindow(500 * 26, 1000)).toEqual({ first: 492, last: 523 });
    const bottom = rowWindow(1000 * 26, 1000);
    expect(bottom.last).toBe(1000);
    expect(bottom.first).toBeLessThan(1000);
  });

  it('paces newly arrived rows from the top down and keeps the mounted ones', () => {
    const inView = [30, 29, 28, 27, 26, 25, 24, 23];
    const first = pacedRows(inView, new Set(), 3);
    expect([...first]).toEqual([30, 29, 28]);
    const second = pacedRows(inView, first, 3);
    expect([...second].sort((a, b) => b - a)).toEqual([30, 29, 28, 27, 26, 25]);
    // Two new rows land on top: they take the frame's budget, the rest keep waiting.
    const landed = pacedRows([32, 31, ...inView], second, 3);
    expect([...landed].sort((a, b) => b - a)).toEqual([32, 31, 30, 29, 28, 27, 26, 25, 24]);
    expect(pacedRows(inView, new Set(inView), 0).size).toBe(inView.length);
  });
});
