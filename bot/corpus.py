"""The article corpus: ``corpus/*.md`` (YAML front matter + Markdown) loaded into Documents and cut into
Chunks of whole sentences, the unit that retrieval indexes and replies quote verbatim.

Chunks follow the article's own structure (a chunk never crosses a ``##`` section, a ``###`` sub-heading
starts one) because a passage shown to a user must read as the article wrote it, under its own heading.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import yaml

from bot import yamlfile
from bot.config import DATA_DIR, LANGUAGES

SECTION_SEPARATOR = " › "
_TEXT_FIELDS = ("id", "title", "language", "publisher", "source")
_LIST_FIELDS = ("seek_care", "unindexed_sections")
_FIELDS = (*_TEXT_FIELDS, "updated", *_LIST_FIELDS)

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_LIST_ITEM = re.compile(r"^[ \t]*(?:([-*+•])|(\d{1,9})[.)])[ \t]+")
_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_TABLE_DELIMITER = re.compile(r"^\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")

# Inline Markdown reduced to the text a reader sees.
_INLINE = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images: their alt text is page furniture
    (re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)"), r"\1"),  # [text](url "title")
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])"), r"\1"),
)

# A sentence ends at . ! ? or … (plus closing quotes/brackets) before whitespace and a capital or digit.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_OPENERS = "\"'“‘«(["

# Chunk packing costs: a ### sub-heading should start a chunk, a short chunk should not exist,
# and cuts prefer block boundaries over line boundaries over cuts inside a paragraph.
_COST_CHUNK = 1.0
_COST_MERGED_SUBHEADING = 20.0
_COST_SHORT = 50.0
_CUT_COST = {"\n\n": 1.0, "\n": 2.0}
_CUT_COST_IN_LINE = 4.0


class CorpusError(ValueError):
    """A corpus file that cannot be used; the message names the file and the field or line."""


@dataclass(frozen=True)
class Section:
    heading: str
    text: str  # Markdown body of the section, ### lines included
    indexed: bool


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    language: str
    publisher: str
    source: str
    updated: str | None
    seek_care: tuple[str, ...]  # headings (## or ###) holding the article's own "when to seek care" advice
    sections: tuple[Section, ...]
    path: Path

    def front_matter(self) -> dict:
        """The front matter this document was loaded from, in file order (for writing it back)."""
        meta: dict = {"id": self.doc_id, "title": self.title, "language": self.language,
                      "publisher": self.publisher, "source": self.source}
        if self.updated is not None:
            meta["updated"] = self.updated
        meta["seek_care"] = list(self.seek_care)
        meta["unindexed_sections"] = [s.heading for s in self.sections if not s.indexed]
        return meta


@dataclass(frozen=True)
class Chunk:
    chunk_id: str  # f"{doc_id}#{i}"
    doc_id: str
    section: str  # "H2" or "H2 › H3"
    text: str  # plain text for users
    sentences: tuple[str, ...]  # verbatim substrings of text, in order
    seek_care: bool


# ---------------------------------------------------------------------------------------------- loading


def load_corpus(corpus_dir: Path) -> list[Document]:
    """Every ``*.md`` in the directory, sorted by doc_id."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir}: corpus directory not found")
    paths = sorted(corpus_dir.glob("*.md"))
    if not paths:
        raise CorpusError(f"{corpus_dir}: no .md files in the corpus directory")
    docs: dict[str, Document] = {}
    for path in paths:
        doc = load_document(path)
        if doc.doc_id in docs:
            raise CorpusError(
                f"{path}: front matter field 'id' {doc.doc_id!r} is already used by {docs[doc.doc_id].path}"
            )
        docs[doc.doc_id] = doc
    return [docs[k] for k in sorted(docs)]


def load_document(path: Path) -> Document:
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read the file ({exc})") from exc
    meta, body, body_line = _split_front_matter(raw, path)
    fields = _check_front_matter(meta, path)
    sections = _parse_body(body, body_line, path)
    headings = {s.heading for s in sections}
    subheadings = {h for s in sections for h in _subheadings(s.text)}
    for heading in fields["seek_care"]:
        if heading not in headings | subheadings:
            raise CorpusError(
                f"{path}: front matter field 'seek_care' names {heading!r}, which is not a ## or ### heading"
            )
    for heading in fields["unindexed_sections"]:
        if heading not in headings:
            raise CorpusError(
                f"{path}: front matter field 'unindexed_sections' names {heading!r},"
                " which is not a ## heading"
            )
    unindexed = set(fields["unindexed_sections"])
    return Document(
        doc_id=fields["id"],
        title=fields["title"],
        language=fields["language"],
        publisher=fields["publisher"],
        source=fields["source"],
        updated=fields["updated"],
        seek_care=tuple(fields["seek_care"]),
        sections=tuple(replace(s, indexed=s.heading not in unindexed) for s in sections),
        path=path,
    )


def corpus_fingerprint(corpus_dir: Path) -> str:
    """SHA-256 over the corpus files' names and bytes: any edit, addition or removal changes it."""
    return files_fingerprint(sorted(Path(corpus_dir).glob("*.md")))


def files_fingerprint(paths: Sequence[Path], setting: str = "") -> str:
    """SHA-256 over a setting and the files' names and bytes, for whatever the index was built from."""
    digest = hashlib.sha256(setting.encode() + b"\0" if setting else b"")
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _split_front_matter(raw: str, path: Path) -> tuple[object, str, int]:
    lines = raw.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise CorpusError(f"{path}: missing front matter (the file must start with a '---' line)")
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise CorpusError(f"{path}: front matter is not closed by a '---' line")
    try:
        meta = yamlfile.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path}: front matter is not valid YAML: {exc}") from exc
    return meta, "\n".join(lines[end + 1:]), end + 2


def _check_front_matter(meta: object, path: Path) -> dict:
    if not isinstance(meta, dict):
        raise CorpusError(f"{path}: front matter must be a YAML mapping of fields ({', '.join(_FIELDS)})")
    for key in meta:
        if key not in _FIELDS:
            raise CorpusError(f"{path}: unknown front matter field {key!r} (known: {', '.join(_FIELDS)})")
    fields: dict = {}
    for key in _TEXT_FIELDS:
        value = meta.get(key)
        if not isinstance(value, str) or not value.strip():
            raise CorpusError(f"{path}: front matter field {key!r} is missing or empty (it must be text)")
        fields[key] = value.strip()
    if fields["id"] != path.stem:
        raise CorpusError(
            f"{path}: front matter field 'id' is {fields['id']!r} but the file is named {path.name}"
            f" (the id must be the file name without .md)"
        )
    if fields["language"] not in LANGUAGES:
        raise CorpusError(f"{path}: front matter field 'language' must be one of {', '.join(LANGUAGES)}")
    fields["updated"] = _check_date(meta.get("updated"), path)
    for key in _LIST_FIELDS:
        value = meta.get(key)
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise CorpusError(f"{path}: front matter field {key!r} must be a list of headings")
        fields[key] = [v.strip() for v in value]
    return fields


def _check_date(value: object, path: Path) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise CorpusError(f"{path}: front matter field 'updated' must be an ISO date (YYYY-MM-DD)")


def _parse_body(body: str, first_line: int, path: Path) -> list[Section]:
    sections: list[tuple[str, list[str]]] = []
    stray_line = 0
    for number, line in enumerate(body.split("\n"), start=first_line):
        match = _HEADING.match(line)
        level = len(match.group(1)) if match else 0
        if level and level not in (2, 3):
            raise CorpusError(
                f"{path}: line {number}: only '## ' and '### ' headings are used, found {line!r}"
            )
        if level and not match.group(2).strip():
            raise CorpusError(f"{path}: line {number}: empty heading")
        if level == 2:
            heading = match.group(2).strip()
            if any(h == heading for h, _ in sections):
                raise CorpusError(f"{path}: line {number}: duplicate section heading {heading!r}")
            sections.append((heading, []))
        elif sections:
            sections[-1][1].append(line)
        elif line.strip() and not stray_line:
            stray_line = number
    if not sections:
        raise CorpusError(f"{path}: no '## ' section heading in the body")
    if stray_line:
        raise CorpusError(f"{path}: line {stray_line}: text before the first '## ' section heading")
    result = []
    for heading, lines in sections:
        text = "\n".join(lines).strip("\n")
        if not text.strip():
            raise CorpusError(f"{path}: section {heading!r} is empty")
        result.append(Section(heading, text, True))
    return result


def _subheadings(markdown: str) -> list[str]:
    matches = map(_HEADING.match, markdown.split("\n"))
    return [m.group(2).strip() for m in matches if m and len(m.group(1)) == 3]


# --------------------------------------------------------------------------------------------- sentences


@cache
def abbreviations(language: str) -> frozenset[str]:
    """The language's abbreviations that end in a period without ending a sentence (lower-case)."""
    path = DATA_DIR / "lang" / language / "abbreviations.yaml"
    if not path.is_file():
        raise ValueError(f"no abbreviation list for language {language!r} ({path})")
    data = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
    return frozenset(str(a).strip().lower() for a in data.get("abbreviations") or [])


def split_sentences(text: str, language: str) -> list[str]:
    """Sentences of plain or Markdown text, verbatim and in order. Every line is split on its own (list
    items and line-broken text are separate sentences); heading lines and list markers are not part of
    any sentence; abbreviations of the language do not end one."""
    abbrevs = abbreviations(language)
    sentences = []
    for line in text.split("\n"):
        if not line.strip() or _HEADING.match(line):
            continue
        marker = _LIST_ITEM.match(line)
        body = line[marker.end():] if marker else line
        sentences.extend(body[s:e] for s, e in _sentence_spans(body, abbrevs))
    return sentences


def _sentence_spans(line: str, abbrevs: frozenset[str]) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(line):
        if _continues(line, match, abbrevs):
            continue
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(line)))
    result = []
    for s, e in spans:
        while s < e and line[s].isspace():
            s += 1
        while e > s and line[e - 1].isspace():
            e -= 1
        if s < e:
            result.append((s, e))
    return result


def _continues(line: str, match: re.Match, abbrevs: frozenset[str]) -> bool:
    """True when the punctuation in ``match`` does not end a sentence."""
    rest = line[match.end():].lstrip()
    if rest[:1] in _OPENERS:
        rest = rest[1:]
    if not rest or not (rest[0].isupper() or rest[0].isdigit()):
        return True
    if match.group().startswith(".") and not match.group().startswith(".."):
        word = line[:match.start() + 1].rsplit(None, 1)[-1].lstrip(_OPENERS).lower()
        return word in abbrevs
    return False


# ---------------------------------------------------------------------------------------------- segments


@dataclass(frozen=True)
class Segment:
    """The smallest piece of an indexed section that is quoted or translated on its own: a sentence, a
    heading (## or ###), or a table row with its header. Quote units are runs of segments; translations are
    stored per segment, keyed by :func:`segment_id`, so an edit to one sentence leaves every other
    translation valid."""

    id: str
    doc_id: str
    section: str  # the ## heading
    subheading: str | None  # the ### heading in effect
    text: str
    prefix: str  # list marker before the first sentence of a list item ("• ", "2. ")
    sep: str  # what joins it to the previous segment: "\n\n" new block, "\n" new line, else within a line
    is_heading: bool


def segment_id(text: str) -> str:
    """A segment's id: a digest of its text, so ids survive edits elsewhere in the article and an edited
    sentence gets a new id (its old translation is then stale, not misapplied)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def segments(doc: Document) -> list[Segment]:
    """Every segment of the document's indexed sections, in reading order, each section's heading first."""
    abbrevs = abbreviations(doc.language)
    out: list[Segment] = []
    for section in doc.sections:
        if not section.indexed:
            continue
        heading = _inline(section.heading)
        out.append(Segment(segment_id(heading), doc.doc_id, section.heading, None, heading, "", "\n\n", True))
        for a in _atoms(section.text, abbrevs):
            out.append(Segment(
                segment_id(a.text), doc.doc_id, section.heading, a.subheading, a.text, a.prefix,
                a.sep or "\n\n", a.is_heading,
            ))
    return out


# ---------------------------------------------------------------------------------------------- chunking


@dataclass(frozen=True)
class _Atom:
    """A sentence or a sub-heading line of a section's plain text, with what joins it to the previous one."""

    sep: str
    prefix: str  # list marker shown before the first sentence of a list item
    text: str
    subheading: str | None  # the ### heading in effect
    is_heading: bool

    def __len__(self) -> int:
        return len(self.sep) + len(self.prefix) + len(self.text)


def chunk_corpus(docs: Iterable[Document], min_chars: int = 200, max_chars: int = 900) -> list[Chunk]:
    return [c for doc in docs for c in chunk_document(doc, min_chars, max_chars)]


def chunk_document(doc: Document, min_chars: int = 200, max_chars: int = 900) -> list[Chunk]:
    """Chunks of the indexed sections: whole sentences, within [min_chars, max_chars] unless one sentence
    is longer than max_chars or the whole section is shorter than min_chars."""
    abbrevs = abbreviations(doc.language)
    chunks: list[Chunk] = []
    for section in doc.sections:
        if not section.indexed:
            continue
        atoms = _atoms(section.text, abbrevs)
        for start, end in _pack(atoms, min_chars, max_chars):
            span = atoms[start:end]
            text = span[0].prefix + span[0].text + "".join(a.sep + a.prefix + a.text for a in span[1:])
            sub = span[0].subheading
            seek_care = section.heading in doc.seek_care or any(a.subheading in doc.seek_care for a in span)
            chunks.append(Chunk(
                chunk_id=f"{doc.doc_id}#{len(chunks)}",
                doc_id=doc.doc_id,
                section=section.heading + (SECTION_SEPARATOR + sub if sub else ""),
                text=text,
                sentences=tuple(a.text for a in span if not a.is_heading),
                seek_care=seek_care,
            ))
    return chunks


def _plain_lines(markdown: str) -> Iterable[tuple[bool, str, str, bool]]:
    """(starts_block, list_marker, plain text, is_subheading) for each visible line of a section."""
    new_block = True
    table_header: list[str] | None = None
    in_list = False
    for line in markdown.split("\n"):
        if not line.strip() or _RULE.match(line):
            new_block, table_header = True, None
            continue
        heading = _HEADING.match(line)
        if heading:
            yield True, "", _inline(heading.group(2).strip()), True
            new_block, table_header, in_list = True, None, False
            continue
        if line.lstrip().startswith("|"):
            cells = [_inline(c.strip()) for c in line.strip().strip("|").split("|")]
            if table_header is None:
                table_header = cells
            elif not _TABLE_DELIMITER.match(line.strip()):
                pairs = zip(table_header, cells, strict=False)
                yield new_block, "", " · ".join(f"{h}: {c}" if h else c for h, c in pairs if c), False
                new_block = False
            continue
        table_header = None
        text = line.strip()
        if text.startswith(">"):
            text = text.lstrip(">").strip()
        marker = _LIST_ITEM.match(line)
        prefix = ""
        if marker:
            prefix = f"{marker.group(2)}. " if marker.group(2) else "• "
            text = line[marker.end():].strip()
            in_list = True
        elif not (in_list and line[:1].isspace()):
            in_list = False
        text = _inline(text)
        if text:
            yield new_block, prefix, text, False
            new_block = False


def _inline(text: str) -> str:
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text


def _atoms(markdown: str, abbrevs: frozenset[str]) -> list[_Atom]:
    atoms: list[_Atom] = []
    subheading: str | None = None
    for starts_block, prefix, text, is_heading in _plain_lines(markdown):
        sep = "" if not atoms else ("\n\n" if starts_block else "\n")
        if is_heading:
            subheading = text
            atoms.append(_Atom(sep, "", text, subheading, True))
            continue
        previous_end = None
        for s, e in _sentence_spans(text, abbrevs):
            if previous_end is None:
                atoms.append(_Atom(sep, prefix, text[s:e], subheading, False))
            else:
                atoms.append(_Atom(text[previous_end:s], "", text[s:e], subheading, False))
            previous_end = e
    return atoms


def _pack(atoms: list[_Atom], min_chars: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut points by dynamic programming over sentence boundaries (see the _COST_* constants)."""
    n = len(atoms)
    if not any(not a.is_heading for a in atoms):
        return []
    offset = [0]
    sentences = [0]
    headings = [0]
    for a in atoms:
        offset.append(offset[-1] + len(a))
        sentences.append(sentences[-1] + (not a.is_heading))
        headings.append(headings[-1] + a.is_heading)

    def cut_cost(i: int) -> float:
        if i == 0 or atoms[i].is_heading:
            return 0.0
        return _CUT_COST.get(atoms[i].sep, _CUT_COST_IN_LINE)

    inf = float("inf")
    best = [0.0] + [inf] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            if best[i] == inf or (i > 0 and atoms[i - 1].is_heading):
                continue
            count = sentences[j] - sentences[i]
            length = offset[j] - offset[i] - len(atoms[i].sep)
            if length > max_chars and count > 1:
                break
            if count == 0:
                continue
            cost = best[i] + _COST_CHUNK + cut_cost(i)
            cost += _COST_MERGED_SUBHEADING * (headings[j] - headings[i + 1])
            if length < min_chars and not (i == 0 and j == n):
                cost += _COST_SHORT
            if cost < best[j]:
                best[j], back[j] = cost, i
    cuts = []
    j = n
    while j > 0:
        cuts.append((back[j], j))
        j = back[j]
    return cuts[::-1]
