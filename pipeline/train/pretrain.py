"""Reference pretraining (`matlit pretrain`): a small GPT-style model on the shards with the trained tokenizer.

A plain torch loop around a transformers causal LM built from a config dict (`train.model` in the YAML:
`model_type: llama` or `gpt2` plus that config's fields; the vocabulary size and special token ids come from the
tokenizer). The same code runs on CPU in fp32 and on a GPU under bf16 autocast (`train.precision: auto`).

Output in `train.out_dir` (default <work>/pretrain):
    log.jsonl                     one line per step: step, loss, lr, tokens, batch sha256 (data order is checkable)
    checkpoints/step-00000050/    model (safetensors) + optimizer.pt + scheduler.pt + dataset.json + trainer.pt
    checkpoints/latest            name of the newest complete checkpoint (written after the folder is in place)
    final/                        the model and tokenizer, loadable with AutoModelForCausalLM / AutoTokenizer
    summary.json                  steps, losses, validation loss, tokens/s, device, precision

Resume (`train.resume: true`, the default): the newest checkpoint's model, optimizer, scheduler, RNG and dataset
state are restored; the run continues at the saved step with the same data order as an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import MatlitError
from pipeline.workdir import atomic_write_json, atomic_write_text


class PretrainError(MatlitError):
    """Pretraining cannot start or resume (bad model config, unusable checkpoint)."""


@dataclass
class PretrainResult:
    out_dir: Path
    start_step: int
    step: int
    losses: list[float] = field(default_factory=list)
    eval_loss: float | None = None
    tokens_per_s: float = 0.0
    device: str = "cpu"
    precision: str = "fp32"
    rank: int = 0
    world_size: int = 1


def _device_precision(device: str, precision: str) -> tuple[str, str]:
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise PretrainError("train.device is cuda but no CUDA device is available")
    if precision == "auto":
        precision = "bf16" if device == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    return device, precision


def build_model(model_cfg: dict, tokenizer_dir: Path, seq_len: int):
    """A randomly initialised causal LM from a transformers config dict sized to the tokenizer."""
    from transformers import AutoConfig, AutoModelForCausalLM, PreTrainedTokenizerFast

    if not (Path(tokenizer_dir) / "tokenizer.json").is_file():
        raise PretrainError(f"no tokenizer in {tokenizer_dir} (run `matlit tokenizer train` first)")
    tok = PreTrainedTokenizerFast.from_pretrained(str(tokenizer_dir))
    cfg = dict(model_cfg)
    model_type = cfg.pop("model_type", None)
    if not model_type:
        raise PretrainError("train.model needs model_type (llama, gpt2, ...)")
    cfg.update(vocab_size=len(tok), bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    max_pos = "n_positions" if model_type == "gpt2" else "max_position_embeddings"
    cfg.setdefault(max_pos, max(seq_len, 128))
    if cfg[max_pos] < seq_len:
        raise PretrainError(f"train.model.{max_pos} = {cfg[max_pos]} is shorter than seq_len {seq_len}")
    try:
        config = AutoConfig.for_model(model_type, **cfg)
    except (ValueError, TypeError) as e:
        raise PretrainError(f"train.model: {e}") from e
    return AutoModelForCausalLM.from_config(config), tok


def _checkpoints(out_dir: Path) -> Path:
    return out_dir / "checkpoints"


def latest_checkpoint(out_dir: Path) -> Path | None:
    ptr = _checkpoints(out_dir) / "latest"
    if not ptr.is_file():
        return None
    p = _checkpoints(out_dir) / ptr.read_text("utf-8").strip()
    if not (p / "trainer.pt").is_file():
        raise PretrainError(f"{ptr} points to {p}, which is not a complete checkpoint")
    return p


class _Dist:
    """torch.distributed when launched by torchrun (WORLD_SIZE > 1): gloo on CPU, nccl on GPUs; else one process."""

    def __init__(self, device: str):
        import torch.distributed as dist

        self.dist = dist
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.owned = False
        if self.world > 1 and not dist.is_initialized():
            dist.init_process_group(backend="nccl" if device == "cuda" else "gloo")
            self.owned = True
        self.on = self.world > 1
        self.rank = dist.get_rank() if self.on else 0
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))

    def gather(self, obj) -> list:
        if not self.on:
            return [obj]
        out = [None] * self.world
        self.dist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.on:
            self.dist.barrier()

    def close(self) -> None:
        """After the final barrier (every output is written). gloo is left up: freeing its process group while the
        last collective's work object still holds a tensor deadlocks (~ProcessGroupGloo joins its worker thread with
        the GIL held while that thread waits for the GIL to free the tensor; seen in CI with torch 2.13, cf.
        pytorch/pytorch#75097, #179291). `matlit pretrain` ends a distributed worker with os._exit(0) instead,
        so the group is never torn down by the interpreter either. nccl groups are destroyed as the docs ask."""
        if self.owned and self.dist.get_backend() != "gloo":
            self.dist.destroy_process_group()


def save_checkpoint(out_dir: Path, step: int, model, optimizer, scheduler, dataset, keep: int, dist=None) -> Path:
    """Write the checkpoint into a temp folder, rename it into place, then update `latest` (atomic).

    Under DDP every rank calls it: the dataset states and RNG states of all ranks are gathered, rank 0 writes."""
    import torch

    dist = dist or _Dist("cpu")
    ds_states = dist.gather(dataset.state_dict())
    rng = dist.gather({"torch": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []})
    ck = _checkpoints(out_dir)
    final = ck / f"step-{step:08d}"
    if dist.rank == 0:
        ck.mkdir(parents=True, exist_ok=True)
        tmp = ck / f".tmp-{final.name}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        model.save_pretrained(str(tmp), safe_serialization=True)
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
        (tmp / "dataset.json").write_text(json.dumps({"world_size": dist.world, "ranks": ds_states}, indent=2))
        # last: its presence marks a complete folder
        torch.save({"step": step, "world_size": dist.world, "rng": rng}, tmp / "trainer.pt")
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        atomic_write_text(ck / "latest", final.name + "\n")
        old = sorted(p for p in ck.glob("step-*") if p.is_dir() and p != final)
        for p in old[: max(0, len(old) - (keep - 1))]:
            shutil.rmtree(p, ignore_errors=True)
    dist.barrier()
    return final


def _load_checkpoint(path: Path, model, optimizer, scheduler, dataset, device: str, dist=None) -> int:
    import torch
    from safetensors.torch import load_file

    dist = dist or _Dist("cpu")
    try:
        state = load_file(str(path / "model.safetensors"), device=device)
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or [k for k in missing if "lm_head" not in k]:  # tied lm_head is not saved
            raise PretrainError(f"{path}: checkpoint does not match the model (missing {missing}, unexpected {unexpected})")
        optimizer.load_state_dict(torch.load(path / "optimizer.pt", map_location=device, weights_only=True))
        scheduler.load_state_dict(torch.load(path / "scheduler.pt", weights_only=True))
        ds = json.loads((path / "dataset.json").read_text("utf-8"))
        tr = torch.load(path / "trainer.pt", weights_only=False)
    except (OSError, RuntimeError, KeyError, ValueError) as e:
        raise PretrainError(f"cannot resume from {path}: {e}") from e
    if ds.get("world_size") != dist.world:
        raise PretrainError(
            f"{path} was written by {ds.get('world_size')} process(es), this run has {dist.world}: "
            "resume with the same world size (exact data order is per rank)"
        )
    dataset.load_state_dict(ds["ranks"][dist.rank])
    rng = tr["rng"][dist.rank]
    torch.set_rng_state(rng["torch"])
    if rng["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
    return int(tr["step"])


def _trim_log(log: Path, upto: int) -> None:
    """Keep log lines of steps <= upto (steps after the checkpoint are redone on resume)."""
    if not log.is_file():
        return
    keep = [ln for ln in log.read_text("utf-8").splitlines() if ln.strip() and json.loads(ln)["step"] <= upto]
    atomic_write_text(log, "".join(ln + "\n" for ln in keep))


def evaluate(model, shards_dir: Path, tokenizer_dir: Path, opts, batch_size: int, batches: int, device: str, bf16: bool):
    """Mean loss over the first `batches` batches of the validation split (None when it has no data)."""
    import torch

    from pipeline.train.dataset import ShardStream, StreamOptions
    from pipeline.train.shards import ShardsError

    vopts = StreamOptions(**{**opts.__dict__, "split": "validation", "epochs": 1, "shuffle_buffer": 0})
    try:
        ds = ShardStream(shards_dir, tokenizer_dir, vopts, rank=0, world_size=1)
    except ShardsError:
        return None
    model.eval()
    losses = []
    with torch.no_grad():
        for i, b in enumerate(ds.loader(batch_size)):
            if i >= batches:
                break
            ids = b["input_ids"].to(device)
            with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
                losses.append(float(model(input_ids=ids, labels=ids).loss))
    model.train()
    return sum(losses) / len(losses) if losses else None


def pretrain(cfg, shards_dir: Path, tokenizer_dir: Path, out_dir: Path, console=None) -> PretrainResult:
    """Run (or resume) pretraining with a TrainConfig `cfg` until cfg.max_steps (or cfg.stop_at).

    One process, or one per device under `torchrun --nproc_per_node N -m pipeline.cli pretrain ...` (DDP: each rank
    streams its own part of the shards; rank 0 writes the log, checkpoints and the final model)."""
    import torch
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from transformers import get_cosine_schedule_with_warmup
    from transformers.utils import logging as hf_logging

    from pipeline.train.dataset import ShardStream, StreamOptions

    hf_logging.disable_progress_bar()
    device, precision = _device_precision(cfg.device, cfg.precision)
    dist = _Dist(device)
    if device == "cuda":
        device = f"cuda:{dist.local_rank}"
        torch.cuda.set_device(device)
    dev_type = device.split(":")[0]
    main = dist.rank == 0
    console = console if main else None
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    bf16 = precision == "bf16"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    model, hf_tok = build_model(cfg.model, Path(tokenizer_dir), cfg.seq_len)
    model.to(device)
    model.train()
    opts = StreamOptions(
        seq_len=cfg.seq_len,
        split="train",
        record_fraction=cfg.record_fraction,
        shuffle_buffer=cfg.shuffle_buffer,
        seed=cfg.seed,
        epochs=None,
    )
    ds = ShardStream(shards_dir, tokenizer_dir, opts, rank=dist.rank, world_size=dist.world)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
        betas=(0.9, 0.95),
    )
    scheduler = get_cosine_schedule_with_warmup(optimizer, cfg.warmup_steps, cfg.max_steps)
    step = 0
    log = out_dir / "log.jsonl"
    ck = latest_checkpoint(out_dir) if cfg.resume else None
    if ck is not None:
        step = _load_checkpoint(ck, model, optimizer, scheduler, ds, device, dist)
        if main:
            _trim_log(log, step)
        if console:
            console.print(f"resuming from {ck} at step {step}")
    elif main and log.exists():
        log.unlink()
    dist.barrier()
    net = model
    if dist.on:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=[dist.local_rank] if dev_type == "cuda" else None)
    start = step
    losses: list[float] = []
    tokens = 0
    t0 = time.perf_counter()
    loader = ds.loader(cfg.batch_size, num_workers=cfg.num_workers, pin_memory=dev_type == "cuda")
    progress = Progress(
        TextColumn("pretrain"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}"),
        TimeRemainingColumn(), console=console, disable=console is None or not cfg.progress, transient=True,
    )
    logf = open(log, "a", encoding="utf-8") if main else None
    try:
        with progress:
            task = progress.add_task("steps", total=cfg.max_steps, completed=step, loss="-")
            it = iter(loader)
            stop = min(cfg.max_steps, cfg.stop_at or cfg.max_steps)
            while step < stop:
                batch = next(it)
                ids = batch["input_ids"].to(device, non_blocking=True)
                with torch.autocast(device_type=dev_type, dtype=torch.bfloat16, enabled=bf16):
                    loss = net(input_ids=ids, labels=ids).loss
                lv = float(loss.detach())
                if not math.isfinite(lv):
                    raise PretrainError(f"loss is {lv} at step {step + 1} (rank {dist.rank}); stopping (lower train.lr?)")
                loss.backward()
                if cfg.grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                ds.mark_consumed(batch)
                step += 1
                sha = hashlib.sha256(batch["input_ids"].numpy().tobytes()).hexdigest()[:16]
                if dist.on:  # the mean loss over ranks, and every rank's batch, in the log
                    per_rank = dist.gather((lv, sha, ids.numel()))
                    lv = sum(x[0] for x in per_rank) / dist.world
                    sha = "+".join(x[1] for x in per_rank)
                    n_tok = sum(x[2] for x in per_rank)
                else:
                    n_tok = ids.numel()
                tokens += n_tok
                losses.append(lv)
                if logf is not None:
                    row = {"step": step, "loss": round(lv, 6), "lr": scheduler.get_last_lr()[0], "tokens": n_tok,
                           "batch_sha256": sha}
                    logf.write(json.dumps(row) + "\n")
                    logf.flush()
                progress.update(task, completed=step, loss=f"{lv:.3f}")
                if console and cfg.log_every and step % cfg.log_every == 0 and not cfg.progress:
                    console.print(f"step {step}: loss {lv:.4f}")
                if cfg.save_every and step % cfg.save_every == 0 and step < cfg.max_steps:
                    save_checkpoint(out_dir, step, model, optimizer, scheduler, ds, cfg.keep_checkpoints, dist)
            del it
    finally:
        if logf is not None:
            logf.close()
    secs = time.perf_counter() - t0
    if step > start and not (cfg.save_every and step % cfg.save_every == 0 and step < cfg.max_steps):
        save_checkpoint(out_dir, step, model, optimizer, scheduler, ds, cfg.keep_checkpoints, dist)
    eval_loss = None
    if main and cfg.eval_batches:
        eval_loss = evaluate(model, shards_dir, tokenizer_dir, opts, cfg.batch_size, cfg.eval_batches, device, bf16)
    result = PretrainResult(
        out_dir=out_dir,
        start_step=start,
        step=step,
        losses=losses,
        eval_loss=eval_loss,
        tokens_per_s=round(tokens / secs, 1) if secs > 0 else 0.0,
        device=device,
        precision=precision,
        rank=dist.rank,
        world_size=dist.world,
    )
    if main:
        final = out_dir / "final"
        tmp = out_dir / f".tmp-final-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        model.save_pretrained(str(tmp), safe_serialization=True)
        hf_tok.save_pretrained(str(tmp))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        atomic_write_json(
            out_dir / "summary.json",
            {
                "start_step": start,
                "step": step,
                "first_loss": losses[0] if losses else None,
                "last_loss": losses[-1] if losses else None,
                "validation_loss": eval_loss,
                "tokens_per_s": result.tokens_per_s,
                "device": device,
                "precision": precision,
                "world_size": dist.world,
                "parameters": sum(p.numel() for p in model.parameters()),
                "model": model.config.to_dict(),
                "dataset_state": ds.state_dict(),
            },
        )
    dist.barrier()
    dist.close()
    return result
