"""Topic queries: a small boolean language matched against an article's title and text.

    russia AND (wechat OR "we chat") AND NOT "wechat pay"
    roskomnadzor block*

Words and "quoted phrases" match whole words, case-insensitively. AND, OR and NOT are operators
only when written in capitals; two terms side by side mean AND. NOT binds tighter than AND, AND
tighter than OR; parentheses group. A trailing * matches any word starting so (block* = block,
blocked, blocking). A lower-case and/or/not outside quotes is refused as ambiguous: quote it
to search for the word. In scripts written without spaces (Chinese, Japanese, Thai) a run of
letters holds many words, so a word of such a script matches anywhere inside the text's runs
(地震 matches 巨大地震が). Pure: no I/O.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from transforms.textunits import is_unspaced

_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|"(?P<phrase>[^"]*)(?P<close>"?)|(?P<word>[^\s()"]+))')
_OPERATORS = ("AND", "OR", "NOT")


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; the message says where and why."""


def words(text: str) -> list[str]:
    """The words of a text as matched: NFKC-normalised, case-folded runs of letters and digits."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


class Document:
    """An article's words, indexed once so that many topics can be matched cheaply."""

    __slots__ = ("positions", "unspaced", "vocabulary", "words")

    def __init__(self, *texts: str | None) -> None:
        self.words: list[str] = []
        for text in texts:
            if text:
                # A gap between title and text so a phrase never spans the two.
                self.words.extend([*words(text), ""])
        self.positions: dict[str, list[int]] = {}
        for i, word in enumerate(self.words):
            self.positions.setdefault(word, []).append(i)
        self.vocabulary = sorted(self.positions)
        # the runs of unspaced scripts, one a line, searched by substring
        self.unspaced = "\n".join(
            word for word in self.vocabulary if not word.isascii() and is_unspaced(word)
        )

    def has_unspaced(self, text: str) -> bool:
        return text in self.unspaced

    def has_prefix(self, prefix: str) -> bool:
        i = bisect.bisect_left(self.vocabulary, prefix)
        return i < len(self.vocabulary) and self.vocabulary[i].startswith(prefix)

    def has_sequence(self, seq: Sequence[str]) -> bool:
        if not seq:
            return False
        n = len(seq)
        return any(self.words[i : i + n] == list(seq) for i in self.positions.get(seq[0], ()))


# -- syntax tree ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    word: str
    prefix: bool = False

    def eval(self, doc: Document) -> bool:
        if is_unspaced(self.word):
            return doc.has_unspaced(self.word)
        return doc.has_prefix(self.word) if self.prefix else self.word in doc.positions


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[str, ...]

    def eval(self, doc: Document) -> bool:
        if all(is_unspaced(word) for word in self.words):
            return doc.has_unspaced("".join(self.words))
        return doc.has_sequence(self.words)


@dataclass(frozen=True, slots=True)
class Not:
    item: Node

    def eval(self, doc: Document) -> bool:
        return not self.item.eval(doc)


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]

    def eval(self, doc: Document) -> bool:
        return all(item.eval(doc) for item in self.items)


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]

    def eval(self, doc: Document) -> bool:
        return any(item.eval(doc) for item in self.items)


Node = Term | Phrase | Not | And | Or


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query; `text` is what the user wrote."""

    text: str
    root: Node = field(repr=False)

    def matches(self, title: str | None, text: str | None) -> bool:
        return self.matches_document(Document(title, text))

    def matches_document(self, doc: Document) -> bool:
        return self.root.eval(doc)


# -- parser --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # 'lp', 'rp', 'op', 'phrase', 'word'
    value: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:  # only trailing whitespace is left
            break
        start = m.start(m.lastgroup or 0)
        if m.group("lp"):
            tokens.append(_Tok("lp", "(", start))
        elif m.group("rp"):
            tokens.append(_Tok("rp", ")", start))
        elif m.group("phrase") is not None:
            if not m.group("close"):
                raise QuerySyntaxError(f"unclosed quote at position {m.start('phrase') - 1}: {text!r}")
            tokens.append(_Tok("phrase", m.group("phrase"), m.start("phrase") - 1))
        else:
            word = m.group("word")
            if word in _OPERATORS:
                tokens.append(_Tok("op", word, start))
            elif word.upper() in _OPERATORS:
                raise QuerySyntaxError(
                    f"{word!r} at position {start} is ambiguous: write {word.upper()} for the operator "
                    f'or "{word}" for the word'
                )
            else:
                tokens.append(_Tok("word", word, start))
        pos = m.end()
    return tokens


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary (AND? unary)*; unary := NOT unary | atom."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def error(self, message: str, tok: _Tok | None = None) -> QuerySyntaxError:
        where = f"position {tok.pos}" if tok else "the end"
        return QuerySyntaxError(f"{message} at {where} of query {self.text!r}")

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.tokens:
            raise QuerySyntaxError("empty query")
        node = self.parse_or()
        if (tok := self.peek()) is not None:
            raise self.error(f"unexpected {tok.value!r}", tok)
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.value == "OR":
            self.take()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_unary()]
        while (tok := self.peek()) is not None and not (
            tok.kind == "rp" or (tok.kind == "op" and tok.value == "OR")
        ):
            if tok.kind == "op" and tok.value == "AND":
                self.take()
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise self.error("a word, phrase or ( is missing")
        if tok.kind == "op" and tok.value == "NOT":
            self.take()
            return Not(self.parse_unary())
        if tok.kind == "op":
            raise self.error(f"{tok.value} needs a word, phrase or ( before and after it", tok)
        if tok.kind == "rp":
            raise self.error("unexpected )", tok)
        self.take()
        if tok.kind == "lp":
            node = self.parse_or()
            close = self.peek()
            if close is None or close.kind != "rp":
                raise self.error("( is not closed", tok)
            self.take()
            return node
        return self.atom(tok)

    def atom(self, tok: _Tok) -> Node:
        prefix = tok.kind == "word" and tok.value.endswith("*")
        found = words(tok.value.rstrip("*") if prefix else tok.value)
        if not found:
            raise self.error(f"{tok.value!r} holds no letters or digits", tok)
        if prefix:
            if len(found) > 1:
                raise self.error(f"{tok.value!r}: * ends a single word only", tok)
            return Term(found[0], prefix=True)
        # "France-Presse" or "U.S." unquoted: its words must follow each other, as in a phrase.
        return Term(found[0]) if len(found) == 1 else Phrase(tuple(found))


def parse_query(text: str) -> Query:
    """Parse a topic query (see the module doc for the syntax); QuerySyntaxError says what is wrong."""
    if not isinstance(text, str):
        raise QuerySyntaxError(f"a query must be text, not {type(text).__name__}")
    return Query(text, _Parser(text).parse())


def matching_topics(
    topics: Iterable[tuple[str, Query]], title: str | None, text: str | None
) -> tuple[str, ...]:
    """Names of the topics whose query matches (the document is indexed once for all of them)."""
    doc = Document(title, text)
    return tuple(name for name, query in topics if query.matches_document(doc))
