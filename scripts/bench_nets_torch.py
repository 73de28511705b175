#!/usr/bin/env python3
"""PyTorch half of ``scripts/bench-nets.sh``: the Ludus reference nets, timed in PyTorch.

The same three networks that ``ludus bench-nets`` times in candle, written as a PyTorch
user would write them, so that the two timings can be divided:

* ``resnet``: AlphaZero tower, 5 residual blocks x 64 channels over ``[B,3,6,7]``, conv policy
  head (7 logits) and conv W/D/L value head (3 logits); BatchNorm after every conv.
* ``transformer``: 42 cell tokens (the 3 channel values of a cell) -> Linear(3->64) + learned
  position embedding, a learned class token in front, 4 pre-LayerNorm encoder layers
  (d_model 64, 4 heads, feed-forward 256, tanh-GELU, no dropout), a final LayerNorm, and the
  policy/value heads on the class token.
* ``lstm``: ``nn.LSTM(64, 128)`` over ``[B,32,64]`` and a Linear(128->1) on every step.

Policy logits of illegal actions are replaced by -1e9 through a boolean legal mask.

Modes: ``forward`` is inference (``eval()`` + ``torch.inference_mode()``); ``train`` is one
full AdamW step (lr 1e-3, weight decay 1e-4): zero_grad, forward, loss, backward, step.
Every (net, mode, batch) is warmed up with 5 calls, then called until both 20 calls and
``--min-time`` seconds have passed; the mean time per call is reported. On CUDA the device is
synchronized before every clock read.

Output: one JSON line per measurement on stdout, in the schema of ``ludus bench-nets``::

    {"impl":"pytorch","net":"resnet","mode":"forward","batch":64,"threads":1,
     "device":"cpu","ms":1.234,"iters":200}

A description of the PyTorch build goes to stderr.
"""

import argparse
import functools
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

NETS = ("resnet", "transformer", "lstm")
MODES = ("forward", "train")
NUM_ACTIONS = 7
OBS_SHAPE = (3, 6, 7)  # Connect Four planes, CHW
LSTM_STEPS, LSTM_INPUT, LSTM_HIDDEN = 32, 64, 128
WARMUP_CALLS = 5
MIN_CALLS = 20
SEED = 0


# --- The nets -----------------------------------------------------------------------------


def conv_bn(cin, cout, kernel):
    """Convolution without bias (BatchNorm supplies the shift) followed by BatchNorm."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(cout)
    )


class ResBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = conv_bn(channels, channels, 3)
        self.conv2 = conv_bn(channels, channels, 3)

    def forward(self, x):
        return F.relu(x + self.conv2(F.relu(self.conv1(x))))


class ResNet(nn.Module):
    def __init__(self, channels=64, blocks=5):
        super().__init__()
        cin, height, width = OBS_SHAPE
        cells = height * width
        self.stem = nn.Sequential(conv_bn(cin, channels, 3), nn.ReLU())
        self.tower = nn.Sequential(*(ResBlock(channels) for _ in range(blocks)))
        self.policy = nn.Sequential(
            conv_bn(channels, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(2 * cells, NUM_ACTIONS)
        )
        self.value = nn.Sequential(
            conv_bn(channels, 1, 1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(cells, 64),
            nn.ReLU(),
            nn.Linear(64, 3),
        )

    def forward(self, obs, legal):
        x = self.tower(self.stem(obs))
        return mask_illegal(self.policy(x), legal), self.value(x)


class Transformer(nn.Module):
    def __init__(self, d_model=64, heads=4, layers=4, ff=256):
        super().__init__()
        cin, height, width = OBS_SHAPE
        self.embed = nn.Linear(cin, d_model)
        self.pos = nn.Parameter(torch.randn(height * width, d_model) * 0.02)
        self.cls = nn.Parameter(torch.randn(1, 1, d_model) * 0.02)
        # A plain function, not nn.GELU(approximate="tanh"): with the module, PyTorch's inference
        # fast path (torch._transformer_encoder_layer_fwd) is taken and it silently computes the
        # exact erf GELU instead (checked on torch 2.11), so it would not be the same net.
        gelu_tanh = functools.partial(F.gelu, approximate="tanh")
        layer = nn.TransformerEncoderLayer(
            d_model, heads, ff, dropout=0.0, activation=gelu_tanh, batch_first=True,
            norm_first=True,
        )
        # Nested tensors only help with padding masks, and pre-LN layers cannot use them anyway.
        self.encoder = nn.TransformerEncoder(
            layer, layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False
        )
        self.policy = nn.Linear(d_model, NUM_ACTIONS)
        self.value = nn.Sequential(nn.Linear(d_model, 64), nn.ReLU(), nn.Linear(64, 3))

    def forward(self, obs, legal):
        tokens = obs.flatten(2).transpose(1, 2)  # [B, 42 cells, 3 channels]
        x = self.embed(tokens) + self.pos
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)  # [B, 43, d_model]
        cls = self.encoder(x)[:, 0]
        return mask_illegal(self.policy(cls), legal), self.value(cls)


class Lstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(LSTM_INPUT, LSTM_HIDDEN, num_layers=1, batch_first=True)
        self.head = nn.Linear(LSTM_HIDDEN, 1)

    def forward(self, seq):
        out, _ = self.lstm(seq)
        return self.head(out)  # [B, steps, 1]


def mask_illegal(logits, legal):
    return torch.where(legal, logits, torch.full_like(logits, -1e9))


# --- Inputs, losses and the timed calls ---------------------------------------------------


def make_inputs(net, batch, device, gen):
    """Fixed random inputs and training targets, drawn once before timing."""
    if net == "lstm":
        seq = torch.randn(batch, LSTM_STEPS, LSTM_INPUT, generator=gen)
        target = torch.randn(batch, LSTM_STEPS, 1, generator=gen)
        return [t.to(device) for t in (seq,)], [target.to(device)]
    obs = torch.randn(batch, *OBS_SHAPE, generator=gen)
    # About a quarter of the actions illegal, but never all of them in one row.
    legal = torch.rand(batch, NUM_ACTIONS, generator=gen) > 0.25
    legal[:, 0] |= ~legal.any(dim=1)
    weights = torch.rand(batch, NUM_ACTIONS, generator=gen) * legal
    policy_target = weights / weights.sum(dim=1, keepdim=True)
    wdl_target = torch.randint(0, 3, (batch,), generator=gen)
    inputs = [obs.to(device), legal.to(device)]
    return inputs, [policy_target.to(device), wdl_target.to(device)]


def loss_fn(net, outputs, targets):
    if net == "lstm":
        return F.mse_loss(outputs, targets[0])
    logits, value_logits = outputs
    policy_target, wdl_target = targets
    policy_loss = -(policy_target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
    return policy_loss + F.cross_entropy(value_logits, wdl_target)


def make_step(net, mode, batch, device):
    """Build the model and inputs for one measurement; return the call to time."""
    torch.manual_seed(SEED)
    model = {"resnet": ResNet, "transformer": Transformer, "lstm": Lstm}[net]().to(device)
    gen = torch.Generator().manual_seed(SEED + 1)
    inputs, targets = make_inputs(net, batch, device, gen)
    if mode == "forward":
        model.eval()

        def forward():
            with torch.inference_mode():
                return model(*inputs)

        return forward
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)

    def train():
        opt.zero_grad()
        loss = loss_fn(net, model(*inputs), targets)
        loss.backward()
        opt.step()
        return loss

    return train


def measure(step, min_time, device):
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(WARMUP_CALLS):
        out = step()
    sync()
    calls = 0
    start = time.perf_counter()
    while True:
        out = step()  # kept, so that the result is really produced
        calls += 1
        sync()
        elapsed = time.perf_counter() - start
        if calls >= MIN_CALLS and elapsed >= min_time:
            break
    del out
    return elapsed * 1e3 / calls, calls


# --- Command line -------------------------------------------------------------------------


def csv_choices(allowed):
    def parse(text):
        items = [s.strip() for s in text.split(",") if s.strip()]
        bad = [s for s in items if s not in allowed]
        if not items or bad:
            raise argparse.ArgumentTypeError(f"expected a comma list of {','.join(allowed)}")
        return items

    return parse


def csv_positive_ints(text):
    try:
        items = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        items = []
    if not items or min(items) < 1:
        raise argparse.ArgumentTypeError("expected a comma list of positive integers")
    return items


def positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value

    return parse


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nets", type=csv_choices(NETS), default=list(NETS))
    parser.add_argument("--batches", type=csv_positive_ints, default=[1, 64, 256])
    parser.add_argument("--modes", type=csv_choices(MODES), default=list(MODES))
    parser.add_argument("--min-time", type=positive(float), default=1.0,
                        help="seconds each measurement runs at least (default 1.0)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--threads", type=positive(int), default=len(os.sched_getaffinity(0)),
                        help="intra-op threads (default: every CPU this process may use)")
    args = parser.parse_args()

    # Inter-op threads must be set before any parallel work; 1 so that --threads is the only knob.
    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("bench_nets_torch: error: --device cuda but torch.cuda.is_available() is False")
    device = torch.device(args.device)
    name = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
    print(f"bench_nets_torch: torch {torch.__version__}, {name}, "
          f"{torch.get_num_threads()} intra-op thread(s)", file=sys.stderr)

    for net in args.nets:
        for mode in args.modes:
            for batch in args.batches:
                ms, calls = measure(make_step(net, mode, batch, device), args.min_time, device)
                record = {"impl": "pytorch", "net": net, "mode": mode, "batch": batch,
                          "threads": args.threads, "device": args.device, "ms": round(ms, 4),
                          "iters": calls}
                print(json.dumps(record, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
