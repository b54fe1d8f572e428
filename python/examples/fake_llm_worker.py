"""An agent-shaped Herd worker: a fake LLM that streams tokens, honours cancellation and its
deadline, reports token usage against the job's budget, and classifies its failures.

Run it against a coordinator (`herd coordinator`, or `herd up examples/cluster.toml`):

    python3 examples/fake_llm_worker.py            # HERD_ENDPOINT or tcp://127.0.0.1:5555

then submit: `herd submit --group agents --kind chat --fanout 3 --payload "tell me about {index}" --json`.
"""

import asyncio
import json
import logging
import random

import herd


class FakeLLM:
    """Stands in for an LLM SDK's streaming call (no network): yields tokens with a delay."""

    def __init__(self, tokens_per_second: float = 200.0):
        self.delay = 1.0 / tokens_per_second

    async def stream(self, prompt: str):
        if "429" in prompt:  # how a real SDK would surface a rate limit
            raise RateLimitError(retry_after=1.5)
        words = f"Here is what I know about {prompt}: it is a fine subject, worth a few more words.".split()
        for word in words:
            await asyncio.sleep(self.delay * (0.5 + random.random()))
            yield word + " "


class RateLimitError(Exception):
    def __init__(self, retry_after: float):
        super().__init__("rate limited")
        self.retry_after = retry_after


llm = FakeLLM()
worker = herd.Worker(group="agents", capacity=8)  # endpoint, id, capacity: from herd up's environment


@worker.handler("chat")
async def chat(ctx: herd.Context) -> bytes:
    prompt = ctx.payload.decode()
    if not prompt.strip():
        raise herd.Failure("validation", "empty prompt")  # never retried
    answer = []
    try:
        async for token in llm.stream(prompt):
            ctx.report_usage(1)            # one unit per token, counted against the job's budget
            await ctx.emit(token)          # streamed to the client as it comes (PARTIAL)
            answer.append(token)
    except RateLimitError as e:
        # Classified: the coordinator retries after at least retry_after seconds.
        raise herd.Failure("rate-limited", str(e), retry_after=e.retry_after)
    except asyncio.CancelledError:
        # The job was cancelled or the deadline passed: stop now (close connections, ...).
        logging.info("chat %s cancelled after %d tokens", ctx.attempt_ref, len(answer))
        raise
    return json.dumps({"prompt": prompt, "answer": "".join(answer).strip()}).encode()


@worker.handler("word-count")
def word_count(ctx: herd.Context) -> bytes:
    """A synchronous handler runs in a thread; it checks its cancellation token."""
    count = 0
    for line in ctx.payload.decode().splitlines():
        ctx.check()                        # raises herd.Cancelled once cancelled
        count += len(line.split())
    return str(count).encode()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    worker.run()                           # SIGTERM drains: running chats finish within the grace
