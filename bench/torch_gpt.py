"""The transformer of src/model/gpt.ts written again in PyTorch: the reference of `npm run bench`.

Same architecture (pre-norm blocks, fused q/k/v projection, causal attention, GELU in its sigmoid form
x * sigmoid(1.702 x), learned positions, no biases in the linear layers, output head tied to the token
embedding, LayerNorm eps 1e-5), weights read from our checkpoint format (manifest.json + weights.bin:
little-endian float32 in the manifest's order, matrices stored [in, out]), the same AdamW (decay on
matrices only) and the same global gradient-norm clip.

    /usr/bin/python3 bench/torch_gpt.py --ckpt DIR [--check DIR] [--bench-steps N] [--batch 16] [--seq 64] [--device cpu|cuda]

--check DIR reads ids.json (B sequences of T+1 tokens), logits.bin (our logits of the first T tokens,
float32 [B*T, V]) and ours.json (our loss, gradient norm and loss after one AdamW step) and compares.
--bench-steps N times N training steps on random tokens (on --device: cuda is the GPU reference of
bench/gpu.sh; loss.item() in each step waits for the GPU, so the wall time is the step's). Prints one JSON object.

--pretrain DIR is `npm run pretrain -- --engine torch`'s optimiser: DIR holds init/ (the initial weights,
our checkpoint format), data.json (train / val / heldout examples as [prompt length, ids...]) and
plan.json (per step: learning rate and example indices; weight decay, clipping, log and eval cadence),
all written by src/cli/pretrain.ts. It takes the same steps as our engine would (same batches, schedule,
AdamW with decay on matrices, global-norm clipping, loss = mean over target tokens; the batch's gradient
accumulated over groups of similar length, so short examples are not padded to the longest), prints JSON
lines of losses, writes DIR/snapshot.bin every saveEvery steps, and DIR/weights.bin (float32, init/'s
manifest order) at the end, for pretrain.ts to check and save.

Needs Debian's python3-torch WITH libopenblas0-pthread (without OpenBLAS its matmuls run on the
reference BLAS, about 20x slower): apt-get install -y python3-torch libopenblas0-pthread
"""
import argparse
import json
import math
import os
import statistics
import time

import torch
import torch.nn.functional as F

GELU_K = 1.702
LN_EPS = 1e-5
MASKED = -1e9


class GPT(torch.nn.Module):
    def __init__(self, config, weights):
        super().__init__()
        self.config = config
        # Parameter names keep the checkpoint's names, with '.' (not allowed in a module's names) as '__'.
        self.p = torch.nn.ParameterDict({name.replace('.', '__'): torch.nn.Parameter(t) for name, t in weights.items()})

    def w(self, name):
        return self.p[name.replace('.', '__')]

    def forward(self, ids):
        c = self.config
        B, T = ids.shape
        d, H = c['dModel'], c['nHead']
        hd = d // H
        x = self.w('wte')[ids] + self.w('wpe')[:T]
        bias = torch.full((T, T), MASKED, device=ids.device).triu(1)
        for i in range(c['nLayer']):
            h = F.layer_norm(x, (d,), self.w(f'h.{i}.ln1.g'), self.w(f'h.{i}.ln1.b'), LN_EPS)
            q, k, v = (h @ self.w(f'h.{i}.attn.wqkv')).view(B, T, 3, H, hd).permute(2, 0, 3, 1, 4)
            p = torch.softmax((q * (1 / math.sqrt(hd))) @ k.transpose(-1, -2) + bias, dim=-1)
            y = (p @ v).transpose(1, 2).reshape(B, T, d)
            x = x + y @ self.w(f'h.{i}.attn.wo')
            h = F.layer_norm(x, (d,), self.w(f'h.{i}.ln2.g'), self.w(f'h.{i}.ln2.b'), LN_EPS)
            z = h @ self.w(f'h.{i}.mlp.w1')
            x = x + (z * torch.sigmoid(GELU_K * z)) @ self.w(f'h.{i}.mlp.w2')
        x = F.layer_norm(x, (d,), self.w('lnf.g'), self.w('lnf.b'), LN_EPS)
        return x @ self.w('wte').t()  # [B, T, V]


def load_checkpoint(folder):
    with open(os.path.join(folder, 'manifest.json')) as f:
        manifest = json.load(f)
    with open(os.path.join(folder, manifest['weightsFile']), 'rb') as f:
        flat = torch.frombuffer(bytearray(f.read()), dtype=torch.float32)
    weights = {}
    for w in manifest['weights']:
        n = math.prod(w['shape'])
        weights[w['name']] = flat[w['offset']:w['offset'] + n].clone().view(*w['shape'])
    return manifest['config'], weights


def optimizer_for(model, lr, weight_decay):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW(
        [{'params': decay, 'weight_decay': weight_decay}, {'params': no_decay, 'weight_decay': 0.0}],
        lr=lr, betas=(0.9, 0.999), eps=1e-8)


def train_step(model, opt, ids, max_grad_norm=1.0):
    """One step of mean next-token cross-entropy; returns (loss, gradient norm before clipping)."""
    logits = model(ids[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    opt.step()
    return loss.item(), norm.item()


def pack(examples, indices, device):
    """Right-padded inputs and targets of the chosen examples, and 1 on target positions (after the prompt)."""
    rows = [examples[i] for i in indices]
    T = max(len(r) - 1 for r in rows) - 1
    ids = torch.zeros((len(rows), T + 1), dtype=torch.long)
    weights = torch.zeros((len(rows), T))
    for b, r in enumerate(rows):
        prompt, seq = r[0], r[1:]
        ids[b, :len(seq)] = torch.tensor(seq)
        weights[b, prompt - 1:len(seq) - 1] = 1.0
    return ids.to(device), weights.to(device)


def target_loss(model, examples, indices, device):
    ids, weights = pack(examples, indices, device)
    logits = model(ids[:, :-1])
    nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction='none')
    return (nll * weights.reshape(-1)).sum(), weights.sum()


def length_groups(examples, indices, max_tokens):
    """The chosen examples sorted by length, longest first, and cut into groups of at most max_tokens
    padded positions each, so short examples are not padded to the longest one's length. A sum over the
    groups is the same sum as over one padded batch: only the padding differs."""
    order = sorted(indices, key=lambda i: len(examples[i]), reverse=True)
    groups, current = [], []
    for i in order:
        # Longest first, so the group's padded length is its first member's.
        width = len(examples[current[0]]) if current else len(examples[i])
        if current and (len(current) + 1) * width > max_tokens:
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    return groups


def mean_loss(model, examples, device, max_tokens=8192):
    with torch.no_grad():
        total, n = 0.0, 0.0
        for group in length_groups(examples, range(len(examples)), max_tokens):
            s, w = target_loss(model, examples, group, device)
            total += s.item()
            n += w.item()
    return total / n if n else float('nan')


def save_weights(model, manifest, path):
    """Float32 in the manifest's order, written beside and moved in, so a reader never sees half a file."""
    names = {name.replace('.', '__'): name for name in (w['name'] for w in manifest['weights'])}
    by_name = {names[k]: v.detach().to('cpu').contiguous() for k, v in model.p.items()}
    flat = torch.cat([by_name[w['name']].reshape(-1) for w in manifest['weights']])
    with open(path + '.partial', 'wb') as f:
        f.write(flat.numpy().astype('<f4').tobytes())
    os.replace(path + '.partial', path)


def pretrain(folder, device_name):
    device = torch.device(device_name)
    with open(os.path.join(folder, 'plan.json')) as f:
        plan = json.load(f)
    with open(os.path.join(folder, 'data.json')) as f:
        data = json.load(f)
    with open(os.path.join(folder, 'init', 'manifest.json')) as f:
        manifest = json.load(f)
    config, weights = load_checkpoint(os.path.join(folder, 'init'))
    model = GPT(config, weights).to(device)
    opt = optimizer_for(model, plan['lr'][0] if plan['lr'] else 0.0, plan['weightDecay'])
    log_every, eval_every = plan['logEvery'], plan['evalEvery']
    save_every = plan.get('saveEvery', 0)
    max_tokens = plan.get('maxTokens', 8192)
    loss_sum = grad_sum = 0.0
    tokens = 0
    t_steps = 0.0
    started = time.perf_counter()
    emit = lambda rec: print(json.dumps(rec), flush=True)
    for step, (lr, batch) in enumerate(zip(plan['lr'], plan['batches']), start=1):
        t0 = time.perf_counter()
        for g in opt.param_groups:
            g['lr'] = lr
        # The batch's mean target-token loss, its gradient accumulated over length groups: each group's
        # summed loss divided by the whole batch's target count, so the sum of the groups' gradients is
        # the one-batch gradient.
        opt.zero_grad(set_to_none=True)
        targets = sum(len(data['train'][i]) - 1 - data['train'][i][0] for i in batch)
        loss = 0.0
        for group in length_groups(data['train'], batch, max_tokens):
            s, _ = target_loss(model, data['train'], group, device)
            part = s / targets
            part.backward()
            loss += part.detach()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), plan['maxGradNorm'])
        opt.step()
        loss_sum += loss.item()
        grad_sum += norm.item()
        t_steps += time.perf_counter() - t0
        tokens += sum(len(data['train'][i]) - 1 for i in batch)
        if step % log_every == 0 or step == len(plan['lr']):
            k = log_every if step % log_every == 0 else step % log_every
            emit({'step': step, 'loss': loss_sum / k, 'lr': lr, 'gradNorm': grad_sum / k, 'tokensPerSecond': round(tokens / t_steps), 'elapsedS': round(time.perf_counter() - started, 1)})
            loss_sum = grad_sum = 0.0
            tokens = 0
            t_steps = 0.0
        if step % eval_every == 0 and step != len(plan['lr']):
            emit({'step': step, 'valLoss': mean_loss(model, data['val'], device), 'heldoutLoss': mean_loss(model, data['heldout'], device), 'elapsedS': round(time.perf_counter() - started, 1)})
        if save_every and step % save_every == 0 and step != len(plan['lr']):
            # pretrain.ts turns it into a checkpoint of ours, so a run stopped early leaves a usable one.
            save_weights(model, manifest, os.path.join(folder, 'snapshot.bin'))
            emit({'event': 'snapshot', 'step': step, 'file': os.path.join(folder, 'snapshot.bin')})
    final = {'step': len(plan['lr']), 'valLoss': mean_loss(model, data['val'], device), 'heldoutLoss': mean_loss(model, data['heldout'], device)}
    save_weights(model, manifest, os.path.join(folder, 'weights.bin'))
    emit({'event': 'torch-done', **final, 'device': torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu', 'torch': torch.__version__, 'elapsedS': round(time.perf_counter() - started, 1)})


def blas_library():
    try:
        with open('/proc/self/maps') as f:
            libs = {line.split()[-1] for line in f if 'blas' in line.lower() and '/' in line}
        return sorted(libs)
    except OSError:
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ckpt')
    ap.add_argument('--pretrain')
    ap.add_argument('--check')
    ap.add_argument('--bench-steps', type=int, default=0)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--seq', type=int, default=64)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--weight-decay', type=float, default=0.01)
    ap.add_argument('--threads', type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument('--device', default='cpu')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.pretrain:
        pretrain(args.pretrain, args.device)
        return
    config, weights = load_checkpoint(args.ckpt)
    out = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'config': config}

    if args.check:
        model = GPT(config, {k: v.clone() for k, v in weights.items()})
        with open(os.path.join(args.check, 'ids.json')) as f:
            ids = torch.tensor(json.load(f), dtype=torch.long)
        B, T = ids.shape[0], ids.shape[1] - 1
        with open(os.path.join(args.check, 'logits.bin'), 'rb') as f:
            ours = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).view(B * T, -1)
        with open(os.path.join(args.check, 'ours.json')) as f:
            our = json.load(f)
        with torch.no_grad():
            logits = model(ids[:, :-1]).reshape(B * T, -1)
        opt = optimizer_for(model, args.lr, args.weight_decay)
        loss0, norm0 = train_step(model, opt, ids)
        with torch.no_grad():
            after = model(ids[:, :-1])
            loss1 = F.cross_entropy(after.reshape(-1, after.shape[-1]), ids[:, 1:].reshape(-1)).item()
        out['check'] = {
            'maxLogitDiff': (logits - ours).abs().max().item(),
            'maxAbsLogit': logits.abs().max().item(),
            'loss': loss0, 'ourLoss': our['loss'], 'lossDiff': abs(loss0 - our['loss']),
            'gradNorm': norm0, 'ourGradNorm': our['gradNorm'], 'gradNormRelDiff': abs(norm0 - our['gradNorm']) / max(norm0, 1e-12),
            'lossAfterStep': loss1, 'ourLossAfterStep': our['lossAfterStep'], 'lossAfterStepDiff': abs(loss1 - our['lossAfterStep']),
        }

    if args.bench_steps > 0:
        device = torch.device(args.device)
        model = GPT(config, {k: v.clone() for k, v in weights.items()}).to(device)
        opt = optimizer_for(model, args.lr, args.weight_decay)
        g = torch.Generator().manual_seed(2)
        ids = torch.randint(0, config['vocabSize'], (args.batch, args.seq + 1), generator=g).to(device)
        for _ in range(2):
            train_step(model, opt, ids)
        times = []
        cpu0 = time.process_time()
        for _ in range(args.bench_steps):
            t0 = time.perf_counter()
            train_step(model, opt, ids)
            times.append((time.perf_counter() - t0) * 1000)
        ms = statistics.median(times)
        out['bench'] = {
            'device': torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu',
            'batch': args.batch, 'seq': args.seq, 'steps': args.bench_steps, 'msPerStep': ms,
            'cpuMsPerStep': (time.process_time() - cpu0) * 1000 / args.bench_steps,
            'tokensPerSec': args.batch * args.seq / (ms / 1000),
        }
    out['blas'] = blas_library()
    print(json.dumps(out))


if __name__ == '__main__':
    main()
