"""Discrete-event engines: an LLM replica with continuous batching, a vision replica with dynamic
batching, routing across replicas, and a plain multi-server FIFO queue.

LLM replica (iteration-level continuous batching, Yu et al., "Orca", OSDI 2022; chunked prefill,
Agrawal et al., "Sarathi-Serve", OSDI 2024; paged KV cache and recompute preemption, Kwon et al.,
"vLLM", SOSP 2023):

- Each engine iteration decodes one token for every running sequence and spends what is left of
  the token budget (:class:`~flatbed.serving.scheduling.LLMSchedulerConfig`) on prefill chunks of
  admitted requests, oldest first. Its duration comes from
  ``iteration_time_s(prefill_tokens, decode_seqs, context_tokens)`` — the performance model —
  with ``context_tokens`` the KV tokens the decoding sequences attend to.
- A waiting request is admitted (FIFO) when the KV cache has room for its whole prompt plus one
  token per running sequence and the watermark; the cache grows by one token per sequence per
  iteration. When it would overflow, the most recently admitted request is preempted and later
  recomputed (its prompt plus the tokens it had produced are prefilled again).
- Speed: between events (an arrival, the next completion, KV exhaustion, a prefill) decode-only
  iterations are advanced *k at a time*: the k iterations take ``k * iteration_time_s(0, B, C +
  B(k-1)/2)`` — the context at the middle of the stretch, exact when iteration time is affine in
  context (as the roofline decode model is) — so one Python loop turn covers many tokens.

Times are seconds from the start of the run. Outputs are per-request arrays (NaN where a request
never got that far: rejected because its prompt alone exceeds the KV cache, or not finished when
the run stopped).
"""

from __future__ import annotations

import heapq
import inspect
import math
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from flatbed.serving.arrivals import ClosedLoop, Requests
from flatbed.serving.scheduling import DynamicBatcherConfig, LLMSchedulerConfig, Routing

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

IterationTimeFn = Callable[[float, float, float], float]
"""``(prefill_tokens, decode_seqs, context_tokens) -> seconds`` of one engine iteration."""


class LLMDeploymentLike(Protocol):
    """What the simulator needs from :class:`flatbed.perf.llm.LLMDeployment`.

    ``kv_capacity_tokens`` may be an ``int`` attribute or a zero-argument method returning one
    (see :func:`kv_capacity_of`).
    """

    def iteration_time_s(self, prefill_tokens: float, decode_seqs: float,
                         context_tokens: float) -> float: ...

    @property
    def kv_capacity_tokens(self) -> Any: ...


def kv_capacity_of(deployment: Any) -> int:
    """KV-cache capacity of one replica [tokens], from an attribute or a method."""
    kv = deployment.kv_capacity_tokens
    if callable(kv):
        kv = kv()
    return int(kv)


# ---------------------------------------------------------------------------------------------
# results


@dataclass
class LLMRun:
    """Per-request outcome of an LLM simulation (arrays indexed like the input requests)."""

    arrival_s: FloatArray
    input_tokens: IntArray
    output_tokens: IntArray
    admit_s: FloatArray
    """When the request was first scheduled (end of queueing) [s]."""
    first_token_s: FloatArray
    finish_s: FloatArray
    preemptions: IntArray
    replica: IntArray
    replicas: int
    busy_s: float
    """Sum over replicas of time spent in iterations [s]."""
    kv_token_s: float
    """Integral over time of KV tokens in use, summed over replicas [token·s]."""
    batch_seq_s: float
    """Integral of decoding sequences in the batch [seq·s]."""
    kv_capacity_tokens: int
    end_s: float
    """Simulated time at which the run stopped [s]."""
    iterations: int
    frontend_s: float = 0.0
    """Fixed arrival→scheduler delay included in every request's times [s]."""


@dataclass
class VisionRun:
    """Per-frame outcome of a vision simulation."""

    arrival_s: FloatArray
    start_s: FloatArray
    finish_s: FloatArray
    batch: IntArray
    """Size of the batch each frame ran in."""
    replica: IntArray
    replicas: int
    busy_s: float
    end_s: float


# ---------------------------------------------------------------------------------------------
# LLM replica


@dataclass
class LLMReplica:
    """One LLM serving replica (one model copy on ``tp × pp`` GPUs) with continuous batching.

    Drive it with :meth:`add` (a request arrives) and :meth:`advance_until` (run iterations that
    start before a time), or use :func:`simulate_llm`.
    """

    iteration_time_s: IterationTimeFn
    kv_capacity_tokens: int
    config: LLMSchedulerConfig
    inp: list[int]
    out: list[int]
    admit: list[float]
    first: list[float]
    finish: list[float]
    npre: list[int]
    closed: ClosedLoop | None = None
    t: float = 0.0
    it: int = 0
    busy_s: float = 0.0
    kv_token_s: float = 0.0
    batch_seq_s: float = 0.0
    outstanding: int = 0
    iterations: int = 0
    _waiting: deque[int] = field(default_factory=deque)
    _prefilling: deque[int] = field(default_factory=deque)
    _rem: dict[int, int] = field(default_factory=dict)
    _running: dict[int, None] = field(default_factory=dict)
    _heap: list[tuple[int, int]] = field(default_factory=list)
    _future: list[tuple[float, int]] = field(default_factory=list)
    _pre_len: dict[int, int] = field(default_factory=dict)
    _gen: dict[int, int] = field(default_factory=dict)
    _start_it: dict[int, int] = field(default_factory=dict)
    _fin_it: dict[int, int] = field(default_factory=dict)
    _B: int = 0
    _ctx: int = 0
    _kv: int = 0
    _next_closed: int = 0
    _delays: list[float] = field(default_factory=list)
    arrival_times: list[float] = field(default_factory=list)
    """Closed loop only: arrival time of each request, filled as requests are issued."""
    rich_iteration_time_s: Callable[[float, float, float, float, float], float] | None = None
    """Optional ``(prefill_tokens, decode_seqs, context_tokens, prefill_pairs, prefill_seqs)``
    form (``LLMDeployment.iteration_time_s`` accepts it): the prefill attention work of
    several prompts/chunks in one iteration is Σ c·(done + c/2) (query, key) pairs rather than
    (Σc)²/2, and only completing prompts produce logits."""

    def add(self, idx: int, arrival_s: float) -> None:
        """Request ``idx`` arrives at ``arrival_s`` (call after ``advance_until(arrival_s)``)."""
        if self.t < arrival_s:
            self.t = arrival_s
        self._waiting.append(idx)
        self.outstanding += 1

    def advance_until(self, t_limit: float) -> None:  # noqa: C901 - one tight event loop
        """Run every iteration that starts before ``t_limit`` (``math.inf``: until drained)."""
        f = self.iteration_time_s
        rich = self.rich_iteration_time_s
        cfg = self.config
        budget_max = cfg.max_batched_tokens
        mixed = cfg.mixed_batches
        max_seqs = cfg.max_seqs
        cap = self.kv_capacity_tokens
        admit_cap = int(cap * (1.0 - cfg.kv_watermark))
        inp, out = self.inp, self.out
        admit, first, finish, npre = self.admit, self.first, self.finish, self.npre
        waiting, prefilling, rem = self._waiting, self._prefilling, self._rem
        running, heap, future = self._running, self._heap, self._future
        pre_len, gen, start_it, fin_it = self._pre_len, self._gen, self._start_it, self._fin_it
        closed = self.closed
        t, it, b, ctx, kv = self.t, self.it, self._B, self._ctx, self._kv
        busy, kvint, bint, outstanding, niter = (self.busy_s, self.kv_token_s, self.batch_seq_s,
                                                 self.outstanding, self.iterations)
        heappush, heappop = heapq.heappush, heapq.heappop

        while True:
            while future and future[0][0] <= t:
                _, j = heappop(future)
                waiting.append(j)
            if t >= t_limit:
                break
            # make room for this iteration's decode tokens: preempt newest (recompute)
            while b and kv + b > cap:
                j, _ = running.popitem()
                npre[j] += 1
                if j in rem:
                    prefilling.remove(j)
                    del rem[j]
                    kv -= pre_len[j]
                else:
                    done = it - start_it[j]
                    c = pre_len[j] + done
                    gen[j] += done
                    kv -= c
                    ctx -= c
                    b -= 1
                    fin_it[j] = -1
                    pre_len[j] = inp[j] + gen[j]
                waiting.appendleft(j)
            # admission (FIFO)
            while waiting and len(running) < max_seqs:
                j = waiting[0]
                need = pre_len.get(j)
                if need is None:
                    need = inp[j]
                    pre_len[j] = need
                    gen[j] = 0
                if kv + need + b > admit_cap:
                    if need + 1 > admit_cap and not running:
                        # can never fit: reject
                        waiting.popleft()
                        outstanding -= 1
                        del pre_len[j]
                        continue
                    break
                waiting.popleft()
                kv += need
                prefilling.append(j)
                rem[j] = need
                running[j] = None
                if admit[j] != admit[j]:  # NaN: first time scheduled
                    admit[j] = t
            if not prefilling and not b:
                if future:
                    nxt = future[0][0]
                    t = nxt if nxt < t_limit else max(t, t_limit)
                    if nxt < t_limit:
                        continue
                break
            if prefilling:
                # one mixed iteration: decodes + prefill chunks up to the token budget
                # (unmixed engines: a prefill-only iteration; decoders wait)
                bd = b if mixed else 0
                budget = budget_max - bd
                ptok = 0
                pairs = 0.0
                done_pref: list[int] = []
                for j in prefilling:
                    if budget <= 0:
                        break
                    r = rem[j]
                    c = r if r <= budget else budget
                    ptok += c
                    budget -= c
                    # causal attention of this chunk over the prompt's earlier chunks
                    pairs += c * (pre_len[j] - r) + 0.5 * c * c
                    if c == r:
                        done_pref.append(j)
                    else:
                        rem[j] = r - c
                if rich is not None:
                    dt = rich(ptok, bd, ctx if bd else 0, pairs, float(len(done_pref)))
                else:
                    dt = f(ptok, bd, ctx if bd else 0)
                t += dt
                busy += dt
                kvint += kv * dt
                bint += bd * dt
                niter += 1
                if bd:
                    it += 1
                    ctx += b
                    kv += b
                for j in done_pref:
                    prefilling.popleft()
                    del rem[j]
                    g = gen[j] + 1
                    gen[j] = g
                    if first[j] != first[j]:
                        first[j] = t
                    left = out[j] - g
                    if left <= 0:
                        kv -= pre_len[j]
                        del running[j]
                        finish[j] = t
                        outstanding -= 1
                        if closed is not None:
                            self._spawn(t)
                    else:
                        c = pre_len[j]
                        ctx += c
                        b += 1
                        start_it[j] = it
                        fin_it[j] = it + left
                        heappush(heap, (it + left, j))
            else:
                # decode-only stretch: jump k iterations
                while heap and fin_it[heap[0][1]] != heap[0][0]:
                    heappop(heap)
                k = heap[0][0] - it
                kk = (cap - kv) // b
                if kk < k:
                    k = kk
                lim = t_limit
                if future and future[0][0] < lim:
                    lim = future[0][0]
                dt0 = f(0, b, ctx)
                if lim != math.inf:
                    ka = math.ceil((lim - t) / dt0) if dt0 > 0 else 1
                    if ka < k:
                        k = ka
                if k < 1:
                    k = 1
                dt = dt0 if k == 1 else k * f(0, b, ctx + b * (k - 1) * 0.5)
                t += dt
                busy += dt
                kvint += (kv + b * (k - 1) * 0.5) * dt
                bint += b * dt
                it += k
                niter += k
                ctx += b * k
                kv += b * k
            # completions
            while heap and heap[0][0] <= it:
                fi, j = heappop(heap)
                if fin_it[j] != fi:
                    continue
                # a request preempted and re-admitted can leave a stale entry with the same
                # (iteration, id) as its new one: mark it done so the duplicate is skipped
                fin_it[j] = -1
                c = pre_len[j] + (fi - start_it[j])
                gen[j] += fi - start_it[j]
                ctx -= c
                kv -= c
                b -= 1
                del running[j]
                finish[j] = t
                outstanding -= 1
                if closed is not None:
                    self._spawn(t)

        self.t, self.it, self._B, self._ctx, self._kv = t, it, b, ctx, kv
        self.busy_s, self.kv_token_s, self.batch_seq_s = busy, kvint, bint
        self.outstanding, self.iterations = outstanding, niter

    def _spawn(self, t: float) -> None:
        closed = self.closed
        assert closed is not None
        j = self._next_closed
        if j >= closed.total:
            return
        self._next_closed = j + 1
        a = t + self._delays[j]
        heapq.heappush(self._future, (a + self.config.frontend_s, j))
        self.outstanding += 1
        self.arrival_times[j] = a


def _blank(n: int) -> list[float]:
    return [math.nan] * n


def simulate_llm(requests: Requests | ClosedLoop, iteration_time_s: IterationTimeFn,
                 kv_capacity_tokens: int, replicas: int = 1,
                 routing: Routing = "round_robin",
                 config: LLMSchedulerConfig | None = None,
                 stop_s: float = math.inf) -> LLMRun:
    """Simulate LLM serving on ``replicas`` identical replicas.

    Parameters
    ----------
    requests : open-loop :class:`Requests` (arrivals given) or a :class:`ClosedLoop` client
        (one replica only; ``concurrency`` requests start at t = 0 and each finished request is
        replaced by the next).
    iteration_time_s : duration of one iteration [s] (``LLMDeployment.iteration_time_s``).
    kv_capacity_tokens : KV-cache capacity of one replica [tokens].
    routing : ``round_robin`` (request i goes to replica i mod n; replicas then evolve
        independently) or ``least_outstanding`` (to the replica with the fewest unfinished
        requests at the arrival instant; ties to the lowest index).
    stop_s : stop starting iterations at this time (default: run until every request is done).
    """
    cfg = config or LLMSchedulerConfig()
    if isinstance(requests, ClosedLoop):
        if replicas != 1:
            raise ValueError("a closed loop drives one replica")
        n = requests.total
        inp = requests.input_tokens.tolist()
        outl = requests.output_tokens.tolist()
        arr = [math.nan] * n
        rep = _make_replicas(iteration_time_s, kv_capacity_tokens, cfg, inp, outl, n, 1)[0]
        rep.closed = requests
        rep.arrival_times = arr
        rep._delays = requests.delays_s().tolist()
        starts = requests.start_times_s().tolist()
        start = len(starts)
        rep._next_closed = start
        for j, a in enumerate(starts):
            arr[j] = a
            if a > 0:
                rep.advance_until(a + cfg.frontend_s)
            rep.add(j, a + cfg.frontend_s)
        rep.advance_until(stop_s)
        return _llm_result([rep], np.asarray(arr), requests.input_tokens,
                           requests.output_tokens, np.zeros(n, dtype=np.int64), kv_capacity_tokens)
    n = len(requests)
    inp = requests.input_tokens.tolist()
    outl = requests.output_tokens.tolist()
    arr_l = (requests.arrival_s + cfg.frontend_s).tolist()
    reps = _make_replicas(iteration_time_s, kv_capacity_tokens, cfg, inp, outl, n, replicas)
    which = np.zeros(n, dtype=np.int64)
    if routing == "round_robin" or replicas == 1:
        which = np.arange(n, dtype=np.int64) % replicas
        for r, rep in enumerate(reps):
            for j in range(r, n, replicas):
                a = arr_l[j]
                if a >= stop_s:
                    break
                rep.advance_until(a)
                rep.add(j, a)
            rep.advance_until(stop_s)
    elif routing == "least_outstanding":
        wl = which.tolist()
        for j in range(n):
            a = arr_l[j]
            if a >= stop_s:
                break
            best = 0
            best_n = -1
            for r, rep in enumerate(reps):
                if rep.t < a:
                    rep.advance_until(a)
                o = rep.outstanding
                if best_n < 0 or o < best_n:
                    best, best_n = r, o
            reps[best].add(j, a)
            wl[j] = best
        for rep in reps:
            rep.advance_until(stop_s)
        which = np.asarray(wl, dtype=np.int64)
    else:
        raise ValueError(f"unknown routing {routing!r}")
    return _llm_result(reps, requests.arrival_s, requests.input_tokens, requests.output_tokens,
                       which, kv_capacity_tokens)


def _make_replicas(fn: IterationTimeFn, kv: int, cfg: LLMSchedulerConfig, inp: list[int],
                   out: list[int], n: int, count: int) -> list[LLMReplica]:
    # the per-request output lists are shared by all replicas (each request goes to one)
    admit, first, finish, npre = _blank(n), _blank(n), _blank(n), [0] * n
    rich = rich_iteration_form(fn)
    return [LLMReplica(fn, kv, cfg, inp, out, admit, first, finish, npre,
                       rich_iteration_time_s=rich) for _ in range(count)]


RichIterationTimeFn = Callable[[float, float, float, float, float], float]
"""``(prefill_tokens, decode_seqs, context_tokens, prefill_pairs, prefill_seqs) -> seconds``."""


def rich_iteration_form(fn: IterationTimeFn) -> RichIterationTimeFn | None:
    """``fn`` itself when it takes ``prefill_pairs`` and ``prefill_seqs`` (the performance
    model's full signature), else ``None`` (plain three-argument form)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    if "prefill_pairs" in params and "prefill_seqs" in params:
        return fn  # type: ignore[return-value]
    return None


def _llm_result(reps: Sequence[LLMReplica], arrival_s: FloatArray, inp: IntArray, out: IntArray,
                which: IntArray, kv_cap: int) -> LLMRun:
    r0 = reps[0]
    return LLMRun(
        arrival_s=np.asarray(arrival_s, dtype=np.float64),
        input_tokens=np.asarray(inp, dtype=np.int64),
        output_tokens=np.asarray(out, dtype=np.int64),
        admit_s=np.asarray(r0.admit, dtype=np.float64),
        first_token_s=np.asarray(r0.first, dtype=np.float64),
        finish_s=np.asarray(r0.finish, dtype=np.float64),
        preemptions=np.asarray(r0.npre, dtype=np.int64),
        replica=which,
        replicas=len(reps),
        busy_s=sum(r.busy_s for r in reps),
        kv_token_s=sum(r.kv_token_s for r in reps),
        batch_seq_s=sum(r.batch_seq_s for r in reps),
        kv_capacity_tokens=kv_cap,
        end_s=max(r.t for r in reps),
        iterations=sum(r.iterations for r in reps),
        frontend_s=r0.config.frontend_s,
    )


# ---------------------------------------------------------------------------------------------
# vision replica


def dynamic_batching(arrival_s: FloatArray, batch_time_s: Callable[[int], float],
                     config: DynamicBatcherConfig | None = None,
                     ) -> tuple[FloatArray, FloatArray, IntArray, float]:
    """One model instance behind a dynamic batcher; returns start, finish, batch size, busy [s].

    Frames are served FIFO. When the instance is free at ``s`` and the oldest waiting frame
    arrived at ``a0``, the batch is dispatched at ``max(s, min(a0 + max_queue_delay,
    arrival of the max_batch-th waiting frame))`` and holds every waiting frame that has arrived
    by then, up to ``max_batch`` (Triton dynamic batcher semantics; see
    :mod:`flatbed.serving.scheduling`). Batch durations come from ``batch_time_s(b)``, tabulated
    once for b = 1..max_batch. One Python turn per batch; per-frame outputs are filled with
    ``numpy.repeat``.
    """
    cfg = config or DynamicBatcherConfig()
    arr = np.asarray(arrival_s, dtype=np.float64)
    n = int(arr.size)
    if n == 0:
        z = np.zeros(0)
        return z, z, np.zeros(0, dtype=np.int64), 0.0
    bmax = cfg.max_batch
    delay = cfg.max_queue_delay_s
    table = [0.0] + [float(batch_time_s(b)) for b in range(1, bmax + 1)]
    a = arr.tolist()
    starts: list[float] = []
    sizes: list[int] = []
    free = -math.inf
    i = 0
    busy = 0.0
    inf = math.inf
    while i < n:
        a0 = a[i]
        jf = i + bmax - 1
        full = a[jf] if jf < n else inf
        d = a0 + delay
        if full < d:
            d = full
        if free > d:
            d = free
        hi = i + bmax
        if hi > n:
            hi = n
        j = bisect_right(a, d, i, hi)
        cnt = j - i
        starts.append(d)
        sizes.append(cnt)
        bt = table[cnt]
        busy += bt
        free = d + bt
        i = j
    st = np.asarray(starts)
    sz = np.asarray(sizes, dtype=np.int64)
    bt_arr = np.asarray(table)[sz]
    start = np.repeat(st, sz)
    finish = np.repeat(st + bt_arr, sz)
    return start, finish, np.repeat(sz, sz), busy


def simulate_vision(arrival_s: FloatArray, batch_time_s: Callable[[int], float],
                    replicas: int = 1, config: DynamicBatcherConfig | None = None,
                    stream: IntArray | None = None,
                    routing: Routing | str = "round_robin") -> VisionRun:
    """Simulate frames over ``replicas`` instances with dynamic batching.

    Routing: ``round_robin`` sends frame i to replica i mod n; ``stream`` (needs ``stream``)
    pins each camera stream to replica ``stream mod n``, as a per-camera pipeline does;
    ``least_outstanding`` sends each frame to the replica that frees up first (join the
    earliest-free instance; exact for one frame per batch, approximate with batching).
    """
    arr = np.asarray(arrival_s, dtype=np.float64)
    n = int(arr.size)
    if routing == "stream" and stream is not None:
        which = np.asarray(stream, dtype=np.int64) % replicas
    elif routing == "least_outstanding" and replicas > 1:
        which = _earliest_free(arr, batch_time_s(1), replicas)
    else:
        which = np.arange(n, dtype=np.int64) % replicas
    start = np.empty(n)
    finish = np.empty(n)
    batch = np.empty(n, dtype=np.int64)
    busy = 0.0
    for r in range(replicas):
        sel = np.flatnonzero(which == r)
        s, f, b, bz = dynamic_batching(arr[sel], batch_time_s, config)
        start[sel], finish[sel], batch[sel] = s, f, b
        busy += bz
    end = float(finish.max()) if n else 0.0
    return VisionRun(arr, start, finish, batch, which, replicas, busy, end)


def _earliest_free(arr: FloatArray, service_s: float, servers: int) -> IntArray:
    free = [(0.0, r) for r in range(servers)]
    out: list[int] = []
    for a in arr.tolist():
        f, r = free[0]
        heapq.heapreplace(free, (max(a, f) + service_s, r))
        out.append(r)
    return np.asarray(out, dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# plain multi-server FIFO queue (for queueing-theory checks)


def fifo_queue(arrival_s: FloatArray, service_s: FloatArray, servers: int = 1) -> FloatArray:
    """Service start times of a FIFO queue with ``servers`` identical servers (G/G/c) [s].

    Each customer, in arrival order, takes the server that frees up first (Kiefer & Wolfowitz,
    1955). For one server the Lindley recursion W_{n+1} = max(0, W_n + S_n - A_{n+1}) is solved
    in closed form, vectorized: with X_n = Σ_{k<n}(S_k - A_{k+1}), W_n = X_n - min_{m≤n} X_m
    (Lindley 1952; Asmussen, *Applied Probability and Queues*, 2003, §III.6).
    """
    a = np.asarray(arrival_s, dtype=np.float64)
    s = np.asarray(service_s, dtype=np.float64)
    n = int(a.size)
    if n == 0:
        return np.zeros(0)
    if servers == 1:
        x = np.concatenate(([0.0], np.cumsum(s[:-1] - np.diff(a))))
        w = x - np.minimum.accumulate(np.minimum(x, 0.0))
        return np.asarray(a + w, dtype=np.float64)
    free = [0.0] * servers
    start: list[float] = []
    hr = heapq.heapreplace
    for ai, si in zip(a.tolist(), s.tolist(), strict=True):
        f = free[0]
        st = ai if ai > f else f
        start.append(st)
        hr(free, st + si)
    return np.asarray(start)


def service_times_s(kind: str, mean_s: float, n: int, rng: np.random.Generator) -> FloatArray:
    """Service times: ``exponential`` or ``deterministic`` with the given mean [s]."""
    if kind == "exponential":
        return rng.exponential(mean_s, n)
    if kind == "deterministic":
        return np.full(n, mean_s)
    raise ValueError(f"unknown service distribution {kind!r}")
