"""Retrieval over the music-theory knowledge base the project writes and ships (offline, no key).

The knowledge base is a folder of short markdown articles, one topic each, shipped as package data in
``dawglib/brain/knowledge/*.md`` (intervals, scales and modes, chords, cadences, functional harmony,
rhythm, song form, vocal technique, mixing). Each article starts with ``# Title``, optionally followed
by a ``Keywords: ...`` line (other names and common phrasings of the topic); its paragraphs are the
passages. Passages (``"Title: paragraph"``) and the keyword line (``"Title: keywords"``, chunk −1) are
embedded with the offline all-MiniLM-L6-v2 embedder (:class:`~dawglib.brain.embed.MiniLMEmbedder`) and
stored in DuckDB as ``FLOAT[384]``; a question's nearest chunks come from DuckDB's
``array_cosine_similarity``.

Scoring is hybrid: an article's score is its best chunk's cosine similarity plus
:data:`LEXICAL_WEIGHT` times the idf-weighted share of the question's content words found in the
article's title and keywords (plus :data:`BODY_WEIGHT` of that for words found only in its text). On
the calibration split of questions this raised top-1 accuracy from 25/32 (cosine only) to 29/32
without moving any off-topic question above the threshold.

The index is cached in a DuckDB file (default ``$DAWG_KB_INDEX``, else
``$XDG_CACHE_HOME/dawg/knowledge.duckdb``, else ``~/.cache/dawg/knowledge.duckdb``) and keyed by
content hashes: it is built once, and when an article is added, changed or removed only that
article's passages are re-embedded. When the cache file cannot be opened (read-only home, another
process rebuilding it) the index is built in memory instead.

Honesty rule: a question whose best passage scores below :data:`DEFAULT_MIN_SCORE` gets no answer
(the offline provider then says that it needs an API key). The answer is the shipped text itself,
quoted with the article it comes from — never generated text.

Schema (index version 1)::

    kb_meta(key VARCHAR PRIMARY KEY, value VARCHAR)      -- index_version, embedder, content_sha256
    kb_articles(slug VARCHAR PRIMARY KEY, title VARCHAR, sha256 VARCHAR)
    kb_chunks(slug VARCHAR, chunk_no INTEGER, title VARCHAR, text VARCHAR, embedding FLOAT[384],
              PRIMARY KEY (slug, chunk_no))

Examples
--------
>>> kb = KnowledgeBase()  # doctest: +SKIP
>>> kb.search("what is a tritone sub?", k=1)[0].slug  # doctest: +SKIP
'tritone-substitution'
>>> print(kb.answer("how do I stop my voice cracking on high notes?"))  # doctest: +SKIP
From the knowledge base, "The passaggio (vocal break)" (source: dawglib/brain/knowledge/passaggio.md): ...
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .memory import Embedder

__all__ = [
    "Article",
    "Passage",
    "KBAnswer",
    "KnowledgeBase",
    "load_articles",
    "chunk_article",
    "knowledge_dir",
    "default_index_path",
    "knowledge_answerer",
    "default_knowledge_base",
    "calibrate_min_score",
    "DEFAULT_MIN_SCORE",
    "INDEX_VERSION",
]

#: Version of the index layout and chunking rule (a change rebuilds every cached index).
INDEX_VERSION = 1

#: Score below which the best article is not used (calibrated on a held-out question set written before
#: any score was seen, see ``tests/brain/test_kb_calibration.py`` and :func:`calibrate_min_score`).
DEFAULT_MIN_SCORE = 0.41

#: Weight of the title/keyword word overlap added to the cosine similarity (0: pure embedding search).
LEXICAL_WEIGHT = 0.3

#: Share of :data:`LEXICAL_WEIGHT` given to words found only in an article's text.
BODY_WEIGHT = 0.3

_DUCKDB_CFG: dict[str, Any] = {"autoinstall_known_extensions": "false"}

#: A second paragraph of the best article is quoted when its cosine is within this of the best one's.
_SECOND_WITHIN = 0.08

#: Chunks fetched from DuckDB per question before the per-article re-ranking.
_CANDIDATES = 40

_STOP = frozenset(
    "a an the of to in on for and or is are am be do does did i my me you your it its what whats how why when "
    "which who should can could would with from at by that this these those there their as so if vs versus get "
    "make about between into up down than too very".split()
)

_TITLE = re.compile(r"^#\s+(.+?)\s*$")
_KEYWORDS = re.compile(r"^keywords:\s*(.+?)\.?\s*$", re.I)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def knowledge_dir() -> Path:
    """The folder of the shipped articles (``dawglib/brain/knowledge``)."""
    return Path(__file__).with_name("knowledge")


def default_index_path(env: Mapping[str, str] | None = None) -> Path:
    """``$DAWG_KB_INDEX``, else ``$XDG_CACHE_HOME/dawg/knowledge.duckdb``, else ``~/.cache/dawg/knowledge.duckdb``."""
    env = os.environ if env is None else env
    if env.get("DAWG_KB_INDEX"):
        return Path(env["DAWG_KB_INDEX"]).expanduser()
    base = Path(env["XDG_CACHE_HOME"]).expanduser() if env.get("XDG_CACHE_HOME") else Path("~/.cache").expanduser()
    return base / "dawg" / "knowledge.duckdb"


def _source(slug: str) -> str:
    """Where an article ships, e.g. ``dawglib/brain/knowledge/intervals.md``."""
    return f"dawglib/brain/knowledge/{slug}.md"


@dataclass(frozen=True)
class Article:
    """One knowledge-base article: ``slug`` (file name without ``.md``), ``title``, markdown ``body``, ``keywords``."""

    slug: str
    title: str
    body: str
    keywords: str = ""

    @property
    def sha256(self) -> str:
        """Hash of the title, keywords and body (what decides whether the article is re-embedded)."""
        return hashlib.sha256(f"{self.title}\n{self.keywords}\n{self.body}".encode()).hexdigest()

    @property
    def source(self) -> str:
        """Where the article ships, e.g. ``dawglib/brain/knowledge/intervals.md``."""
        return _source(self.slug)


@dataclass(frozen=True)
class Passage:
    """The best passage of a retrieved article.

    Attributes
    ----------
    slug, title : str
        The article.
    chunk_no : int
        Paragraph number in the article (0-based).
    text : str
        The paragraph, as shipped.
    score : float
        Hybrid score of the article (cosine + lexical bonus; what the threshold applies to).
    cosine : float
        Best cosine similarity of any chunk of the article (−1…1).
    """

    slug: str
    title: str
    chunk_no: int
    text: str
    score: float
    cosine: float = float("nan")

    @property
    def source(self) -> str:
        """Where the article ships, e.g. ``dawglib/brain/knowledge/intervals.md``."""
        return _source(self.slug)


@dataclass(frozen=True)
class KBAnswer:
    """What the knowledge base says about a question.

    Attributes
    ----------
    question : str
    passages : tuple of Passage
        The best passages, best first (also those below ``min_score``).
    min_score : float
        The threshold applied.
    text : str or None
        The answer (quoted passages and their source), or None when the best passage scored below
        ``min_score``.
    """

    question: str
    passages: tuple[Passage, ...]
    min_score: float
    text: str | None

    @property
    def answered(self) -> bool:
        """True when the knowledge base had a passage above the threshold."""
        return self.text is not None

    @property
    def source(self) -> str | None:
        """The article the answer comes from (None when not answered)."""
        return self.passages[0].source if self.text is not None and self.passages else None

    def to_frame(self) -> pd.DataFrame:
        """One row per retrieved passage: slug, title, chunk_no, score, cosine, used (quoted or "see also"), text."""
        import pandas as pd

        shown: set[int] = set()
        if self.text is not None and self.passages:
            best = self.passages[0].slug
            shown = {i for i, p in enumerate(self.passages) if p.slug == best}
            see_also = [i for i, p in enumerate(self.passages) if p.slug != best and p.score >= self.min_score]
            shown |= set(see_also[:1])
        return pd.DataFrame(
            [
                {
                    "slug": p.slug,
                    "title": p.title,
                    "chunk_no": p.chunk_no,
                    "score": p.score,
                    "cosine": p.cosine,
                    "used": i in shown,
                    "text": p.text,
                }
                for i, p in enumerate(self.passages)
            ]
        )


def _parse_article(slug: str, raw: str) -> Article:
    if not _SLUG.match(slug):
        raise ParameterError(f"knowledge article names must be lower-case-with-dashes, given {slug!r}")
    lines = raw.replace("\r\n", "\n").strip().split("\n")
    m = _TITLE.match(lines[0]) if lines else None
    if m is None:
        raise ParameterError(f"knowledge article {slug}.md must start with '# Title', given {lines[0]!r:.80}")
    rest = [ln for ln in lines[1:]]
    first = next((i for i, ln in enumerate(rest) if ln.strip()), None)
    keywords = ""
    if first is not None and (k := _KEYWORDS.match(rest[first].strip())):
        keywords = k.group(1)
        rest = rest[first + 1 :]
    body = "\n".join(rest).strip()
    if not body:
        raise ParameterError(f"knowledge article {slug}.md has a title but no text")
    return Article(slug=slug, title=m.group(1), body=body, keywords=keywords)


def load_articles(folder: str | os.PathLike[str] | None = None) -> list[Article]:
    """Read every ``*.md`` article of a folder (default: the shipped knowledge base), sorted by slug.

    Raises
    ------
    ParameterError
        When the folder has no article, or an article has no ``# Title`` line or no text.
    """
    path = Path(folder) if folder is not None else knowledge_dir()
    files = sorted(path.glob("*.md"))
    if not files:
        raise ParameterError(f"no knowledge articles (*.md) found in {path}")
    return [_parse_article(f.stem, f.read_text(encoding="utf-8")) for f in files]


def chunk_article(article: Article, *, max_words: int = 160) -> list[str]:
    r"""Split an article into passages: its paragraphs, long ones cut at sentence ends near ``max_words``.

    Examples
    --------
    >>> chunk_article(Article("x", "X", "One two.\n\nThree four."))
    ['One two.', 'Three four.']
    """
    out: list[str] = []
    for para in re.split(r"\n\s*\n", article.body):
        text = " ".join(para.split())
        if not text:
            continue
        if len(text.split()) <= max_words:
            out.append(text)
            continue
        buf: list[str] = []
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if buf and len(" ".join([*buf, sentence]).split()) > max_words:
                out.append(" ".join(buf))
                buf = []
            buf.append(sentence)
        if buf:
            out.append(" ".join(buf))
    return out


def _embed_text(title: str, passage: str) -> str:
    return f"{title}: {passage}"


def _chunks(article: Article) -> list[tuple[int, str, str]]:
    """``(chunk_no, stored text, embedded text)``; the keyword line is chunk −1."""
    out = [(i, c, _embed_text(article.title, c)) for i, c in enumerate(chunk_article(article))]
    if article.keywords:
        out.append((-1, article.keywords, _embed_text(article.title, article.keywords)))
    return out


def _terms(text: str) -> set[str]:
    """Lower-case content words with a crude suffix strip (``fifths`` → ``fifth``)."""
    out = set()
    for w in re.findall(r"[a-z0-9#/]+", text.lower()):
        if w in _STOP:
            continue
        for suf in ("ing", "es", "s", "ed"):
            if len(w) > 4 and w.endswith(suf):
                w = w[: -len(suf)]
                break
        out.add(w)
    return out


def _embedder_id(embedder: Any) -> str:
    cls = type(embedder)
    return f"{cls.__module__}.{cls.__qualname__}:{getattr(embedder, 'model_id', 'all-MiniLM-L6-v2')}"


class KnowledgeBase:
    """The shipped articles, embedded and searchable with DuckDB cosine similarity.

    Parameters
    ----------
    index_path : path or ':memory:', optional
        DuckDB file caching the index; default :func:`default_index_path`.
    folder : path, optional
        Folder of ``*.md`` articles; default: the shipped knowledge base.
    embedder : Embedder, optional
        Default: :class:`~dawglib.brain.embed.MiniLMEmbedder`.
    min_score : float
        Cosine similarity below which :meth:`ask` answers nothing.

    Attributes
    ----------
    last_build : dict
        After the index was checked: ``rebuilt`` (article slugs re-embedded), ``removed``, ``build_s``
        (seconds spent embedding and writing), ``path`` (the file used, or ':memory:').

    Examples
    --------
    >>> kb = KnowledgeBase(":memory:")  # doctest: +SKIP
    >>> a = kb.ask("what is a tritone substitution?")  # doctest: +SKIP
    >>> a.passages[0].slug, a.answered  # doctest: +SKIP
    ('tritone-substitution', True)
    """

    def __init__(
        self,
        index_path: str | os.PathLike[str] | None = None,
        *,
        folder: str | os.PathLike[str] | None = None,
        embedder: Embedder | None = None,
        min_score: float = DEFAULT_MIN_SCORE,
    ) -> None:
        if not -1.0 <= float(min_score) <= 1.0:
            raise ParameterError(f"min_score must be a cosine similarity in [-1, 1], given {min_score}")
        self.index_path = str(index_path) if index_path is not None else str(default_index_path())
        self.folder = Path(folder) if folder is not None else knowledge_dir()
        self.min_score = float(min_score)
        self._embedder = embedder
        self._con: Any = None
        self._lock = threading.Lock()
        self.last_build: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"KnowledgeBase(index_path={self.index_path!r}, folder={str(self.folder)!r}, min_score={self.min_score})"

    @property
    def embedder(self) -> Embedder:
        """The embedder (MiniLM by default, loaded on first use)."""
        if self._embedder is None:
            from .embed import MiniLMEmbedder

            self._embedder = MiniLMEmbedder()
        return self._embedder

    @cached_property
    def articles(self) -> list[Article]:
        """The articles read from :attr:`folder` (read once per object)."""
        return load_articles(self.folder)

    @property
    def content_sha256(self) -> str:
        """Hash of every article, the index version and the embedder: equal hashes mean an up-to-date index."""
        h = hashlib.sha256(f"v{INDEX_VERSION}|{_embedder_id(self.embedder)}".encode())
        for a in self.articles:
            h.update(f"|{a.slug}:{a.sha256}".encode())
        return h.hexdigest()

    # -- index ------------------------------------------------------------------------------------
    def ensure_index(self) -> dict[str, Any]:
        """Open the index and (re)embed the articles that changed; returns :attr:`last_build`.

        Cheap when nothing changed (one hash comparison, then the file is opened read-only so several
        processes can share it). Otherwise re-embeds only added or changed articles and drops removed
        ones. When the file cannot be written (read-only folder, another process holds it) the index is
        built in memory for this object, with a warning.
        """
        with self._lock:
            if self._con is None:
                self._open()
            return self.last_build

    def _open(self) -> None:
        import duckdb

        t0 = time.perf_counter()
        want = self.content_sha256
        path = self.index_path
        con: Any = None
        used = path
        changes: tuple[list[str], list[str]] = ([], [])
        if path != ":memory:":
            con = self._open_current(path, want)
            if con is None:
                try:
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                    rw = duckdb.connect(path, config=dict(_DUCKDB_CFG))
                    try:
                        changes = self._update(rw, want)
                    finally:
                        rw.close()
                    con = duckdb.connect(path, read_only=True, config=dict(_DUCKDB_CFG))
                except (OSError, duckdb.Error) as exc:
                    warnings.warn(
                        f"cannot write the knowledge index {path} ({type(exc).__name__}: {exc}); "
                        "building it in memory for this process",
                        stacklevel=3,
                    )
                    con = None
        if con is None:
            used = ":memory:"
            con = duckdb.connect(":memory:", config=dict(_DUCKDB_CFG))
            changes = self._update(con, want)
        self._con = con
        (n_chunks,) = con.execute("SELECT count(*) FROM kb_chunks WHERE chunk_no >= 0").fetchall()[0]
        self.last_build = {
            "path": used,
            "rebuilt": changes[0],
            "removed": changes[1],
            "n_articles": len(self.articles),
            "n_chunks": int(n_chunks),
            "build_s": time.perf_counter() - t0,
        }

    @staticmethod
    def _open_current(path: str, want: str) -> Any:
        """A read-only connection when the file exists and is up to date, else None."""
        import duckdb

        if not Path(path).exists():
            return None
        try:
            con = duckdb.connect(path, read_only=True, config=dict(_DUCKDB_CFG))
        except (OSError, duckdb.Error):
            return None
        try:
            rows = con.execute("SELECT value FROM kb_meta WHERE key = 'content_sha256'").fetchall()
        except duckdb.Error:
            rows = []
        if rows and rows[0][0] == want:
            return con
        con.close()
        return None

    def _update(self, con: Any, want: str) -> tuple[list[str], list[str]]:
        """Bring the tables in ``con`` up to date; returns (re-embedded slugs, removed slugs)."""
        con.execute("CREATE TABLE IF NOT EXISTS kb_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        meta = dict(con.execute("SELECT key, value FROM kb_meta").fetchall())
        if meta.get("content_sha256") == want:
            return [], []
        emb_id = f"v{INDEX_VERSION}|{_embedder_id(self.embedder)}"
        if meta.get("embedder") != emb_id:
            con.execute("DROP TABLE IF EXISTS kb_chunks")
            con.execute("DROP TABLE IF EXISTS kb_articles")
        con.execute(
            "CREATE TABLE IF NOT EXISTS kb_articles (slug VARCHAR PRIMARY KEY, title VARCHAR NOT NULL, "
            "sha256 VARCHAR NOT NULL)"
        )
        con.execute(
            "CREATE TABLE IF NOT EXISTS kb_chunks (slug VARCHAR NOT NULL, chunk_no INTEGER NOT NULL, "
            "title VARCHAR NOT NULL, text VARCHAR NOT NULL, embedding FLOAT[384] NOT NULL, "
            "PRIMARY KEY (slug, chunk_no))"
        )
        have = dict(con.execute("SELECT slug, sha256 FROM kb_articles").fetchall())
        current = {a.slug for a in self.articles}
        removed = sorted(set(have) - current)
        changed = [a for a in self.articles if have.get(a.slug) != a.sha256]
        rows = [(a, i, c, et) for a in changed for i, c, et in _chunks(a)]
        vecs = self.embedder.encode([et for *_, et in rows]) if rows else None
        con.execute("BEGIN TRANSACTION")
        try:
            for slug in [*removed, *(a.slug for a in changed)]:
                con.execute("DELETE FROM kb_chunks WHERE slug = ?", [slug])
                con.execute("DELETE FROM kb_articles WHERE slug = ?", [slug])
            if rows and vecs is not None:
                import pandas as pd

                df = pd.DataFrame(
                    {
                        "slug": [r[0].slug for r in rows],
                        "chunk_no": [r[1] for r in rows],
                        "title": [r[0].title for r in rows],
                        "text": [r[2] for r in rows],
                        "embedding": [v.astype(np.float32).tolist() for v in vecs],
                    }
                )
                con.register("_kb_new", df)
                con.execute(
                    "INSERT INTO kb_chunks SELECT slug, chunk_no, title, text, "
                    "CAST(embedding AS FLOAT[384]) FROM _kb_new"
                )
                con.unregister("_kb_new")
                con.executemany(
                    "INSERT INTO kb_articles VALUES (?, ?, ?)", [[a.slug, a.title, a.sha256] for a in changed]
                )
            for k, v in (("index_version", str(INDEX_VERSION)), ("embedder", emb_id), ("content_sha256", want)):
                con.execute("INSERT OR REPLACE INTO kb_meta VALUES (?, ?)", [k, v])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        return [a.slug for a in changed], removed

    def close(self) -> None:
        """Close the index (a later search opens it again)."""
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- search -----------------------------------------------------------------------------------
    @cached_property
    def _lexicon(self) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, float], dict[str, list[str]]]:
        head = {a.slug: _terms(f"{a.title} {a.keywords}") for a in self.articles}
        body = {a.slug: _terms(a.body) - head[a.slug] for a in self.articles}
        df: dict[str, int] = {}
        for terms in head.values():
            for t in terms:
                df[t] = df.get(t, 0) + 1
        n = len(self.articles)
        idf = {t: float(np.log1p(n / (1 + c))) for t, c in df.items()}
        paragraphs = {a.slug: chunk_article(a) for a in self.articles}
        return head, body, idf, paragraphs

    def _lexical(self, query: str) -> dict[str, float]:
        head, body, idf, _ = self._lexicon
        q = _terms(query)
        n = len(self.articles)
        w = {t: idf.get(t, float(np.log1p(n))) for t in q}
        total = sum(w.values())
        if total <= 0:
            return {}
        return {
            slug: (sum(w[t] for t in q & head[slug]) + BODY_WEIGHT * sum(w[t] for t in q & body[slug])) / total
            for slug in head
        }

    def search_many(self, queries: Sequence[str], *, k: int = 3) -> list[list[Passage]]:
        """The ``k`` best articles of each query (one embedding batch), each with its best passage, best first.

        DuckDB ranks the chunks by ``array_cosine_similarity``; the best :data:`_CANDIDATES` chunks are
        grouped per article and re-ranked with the lexical bonus (see the module docstring).

        Parameters
        ----------
        queries : sequence of str
        k : int
            Articles per query.

        Returns
        -------
        list of list of Passage
            ``len(queries)`` lists of at most ``k`` passages, one per article.
        """
        if k < 1:
            raise ParameterError(f"k must be >= 1, given {k}")
        if isinstance(queries, str) or not all(isinstance(q, str) for q in queries):
            raise ParameterError(f"queries must be a list of str, given {type(queries).__name__}")
        self.ensure_index()
        if not queries:
            return []
        vecs = self.embedder.encode(list(queries))
        return [self._rank(q, v, k=k) for q, v in zip(queries, vecs, strict=True)]

    def _rank(self, query: str, vec: np.ndarray, *, k: int, second_within: float | None = None) -> list[Passage]:
        """Best ``k`` articles for one query.

        With ``second_within``, the best article's second-best paragraph follows its best one when its
        cosine is within that much of it.
        """
        sql = """SELECT slug, title, chunk_no, text,
                        array_cosine_similarity(embedding, CAST(? AS FLOAT[384])) AS score
                 FROM kb_chunks ORDER BY score DESC, slug, chunk_no LIMIT ?"""
        with self._lock:
            rows = self._con.execute(sql, [vec.astype(np.float32).tolist(), _CANDIDATES]).fetchall()
        _, _, _, paragraphs = self._lexicon
        best: dict[str, tuple[float, str]] = {}  # slug -> (best cosine of any chunk, title)
        paras: dict[str, list[tuple[int, str, float]]] = {}  # slug -> candidate paragraphs, best first
        for slug, title, chunk_no, text, score in rows:
            best.setdefault(slug, (float(score), title))
            if chunk_no >= 0:
                paras.setdefault(slug, []).append((int(chunk_no), text, float(score)))
        lex = self._lexical(query)
        ranked = sorted(best, key=lambda sl: (-(best[sl][0] + LEXICAL_WEIGHT * lex.get(sl, 0.0)), sl))
        out: list[Passage] = []
        for rank, slug in enumerate(ranked[:k]):
            cos, title = best[slug]
            score = cos + LEXICAL_WEIGHT * lex.get(slug, 0.0)
            cands = paras.get(slug) or [(0, paragraphs.get(slug, [""])[0], float("nan"))]
            out.append(Passage(slug, title, cands[0][0], cands[0][1], score, cos))
            if (
                rank == 0
                and second_within is not None
                and len(cands) > 1
                and cands[1][2] >= cands[0][2] - second_within
            ):
                out.append(Passage(slug, title, cands[1][0], cands[1][1], score, cos))
        return out

    def search(self, query: str, *, k: int = 3) -> list[Passage]:
        """The ``k`` best articles for the query, each with its best passage, best first (no threshold)."""
        return self.search_many([query], k=k)[0]

    def ask(self, question: str, *, k: int = 3) -> KBAnswer:
        """Answer from the knowledge base, or not at all when nothing scores at least :attr:`min_score`.

        The answer quotes the best article's best paragraph (and its second-best one when nearly as
        close to the question), names its source, and points to the next article above the threshold.

        Parameters
        ----------
        question : str
        k : int
            Articles retrieved.
        """
        if k < 1:
            raise ParameterError(f"k must be >= 1, given {k}")
        self.ensure_index()
        vec = self.embedder.encode([question])[0]
        passages = tuple(self._rank(question, vec, k=k, second_within=_SECOND_WITHIN))
        return KBAnswer(question, passages, self.min_score, self._compose(passages))

    def answer(self, question: str) -> str | None:
        """The answer text (quoted passage(s) and their source), or None below the threshold."""
        return self.ask(question).text

    def _compose(self, passages: Sequence[Passage]) -> str | None:
        if not passages or passages[0].score < self.min_score:
            return None
        best = passages[0]
        quoted = sorted((p for p in passages if p.slug == best.slug), key=lambda p: p.chunk_no)
        text = f'From the knowledge base, "{best.title}" (source: {best.source}):\n\n'
        text += "\n\n".join(p.text for p in quoted)
        other = next((p for p in passages if p.slug != best.slug and p.score >= self.min_score), None)
        if other is not None:
            text += f'\n\nSee also "{other.title}" ({other.source}).'
        return text

    def to_frame(self) -> pd.DataFrame:
        """The indexed chunks (without embeddings): slug, chunk_no (−1: keywords), title, text, words."""
        self.ensure_index()
        with self._lock:
            df = self._con.execute("SELECT slug, chunk_no, title, text FROM kb_chunks ORDER BY slug, chunk_no").df()
        df["words"] = df["text"].str.split().str.len()
        return df


def calibrate_min_score(
    in_scores: Sequence[float], off_scores: Sequence[float], *, false_answer_cost: float = 2.0
) -> float:
    """The threshold that best separates in-domain top scores from off-topic ones.

    Minimises ``false_answer_cost * (#off-topic answered) + (#in-domain refused)`` over the midpoints
    between sorted scores; among equally good thresholds the middle of the widest gap is taken.

    Parameters
    ----------
    in_scores : sequence of float
        Best-passage scores of questions the knowledge base should answer (whose top-1 article is right).
    off_scores : sequence of float
        Best-passage scores of questions it should refuse.
    false_answer_cost : float
        How much worse answering an off-topic question is than refusing a good one.

    Examples
    --------
    >>> calibrate_min_score([0.6, 0.7, 0.8], [0.2, 0.3])
    0.45
    """
    ins = np.sort(np.asarray(in_scores, dtype=float))
    offs = np.sort(np.asarray(off_scores, dtype=float))
    if ins.size == 0 or offs.size == 0:
        raise ParameterError(f"need scores of both kinds, given {ins.size} in-domain and {offs.size} off-topic")
    pts = np.unique(np.concatenate([ins, offs]))
    cands = np.concatenate([[pts[0] - 1e-6], (pts[:-1] + pts[1:]) / 2, [pts[-1] + 1e-6]])
    cost = np.array([false_answer_cost * np.sum(offs >= t) + np.sum(ins < t) for t in cands])
    best = np.flatnonzero(cost == cost.min())
    # contiguous runs of optimal candidates: take the centre of the widest run
    runs = np.split(best, np.flatnonzero(np.diff(best) > 1) + 1)
    widest = max(runs, key=lambda r: cands[r[-1]] - cands[r[0]])
    return round(float((cands[widest[0]] + cands[widest[-1]]) / 2), 4)


_DEFAULT: dict[str, KnowledgeBase] = {}
_DEFAULT_LOCK = threading.Lock()


def default_knowledge_base() -> KnowledgeBase:
    """One shared :class:`KnowledgeBase` per index path (the shipped articles, the default threshold)."""
    path = str(default_index_path())
    with _DEFAULT_LOCK:
        if path not in _DEFAULT:
            _DEFAULT[path] = KnowledgeBase(path)
        return _DEFAULT[path]


def knowledge_answerer(kb: KnowledgeBase | None = None) -> Callable[[str], str | None]:
    """An offline answerer ``question -> quoted passage with its source, or None``.

    The knowledge base (default: :func:`default_knowledge_base`) is opened on the first question,
    so making the answerer costs nothing.

    Examples
    --------
    >>> answer = knowledge_answerer()
    >>> answer("what is a tritone substitution?").startswith('From the knowledge base, "Tritone')  # doctest: +SKIP
    True
    """

    def answer(question: str) -> str | None:
        if not isinstance(question, str) or not question.strip():
            return None
        return (kb or default_knowledge_base()).answer(question)

    answer.__name__ = "knowledge_answerer"
    return answer
