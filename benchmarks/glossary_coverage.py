"""Glossary coverage of the corpus: the domain concepts found in every chunk the index holds, so a section
whose main topic the glossary misses stands out (then add terms to bot/data/lang/<code>/glossary.yaml).

    python -m benchmarks.glossary_coverage [--corpus DIR] [--all]

Prints each chunk's section with its in-domain concepts (topic concepts in capitals) and the neutral ones;
--all also lists out-of-domain hits. Ends with the chunks that have no in-domain concept at all.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.config import DATA_DIR
from bot.corpus import chunk_corpus, load_corpus
from bot.glossary import TOPIC_KINDS, Glossary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DATA_DIR / "corpus")
    parser.add_argument("--all", action="store_true", help="also show out-of-domain hits")
    args = parser.parse_args()

    glossary = Glossary.load()
    chunks = chunk_corpus(load_corpus(args.corpus))
    bare = []
    for chunk in chunks:
        ids = list(dict.fromkeys(m.concept_id for m in glossary.find(chunk.text)))
        inside = [
            c.upper() if glossary.concepts[c].kind in TOPIC_KINDS else c for c in glossary.in_domain_ids(ids)
        ]
        neutral = [c for c in ids if glossary.concepts[c].domain == "neutral"]
        outside = glossary.out_of_domain_ids(ids)
        print(f"{chunk.chunk_id:22} {chunk.section[:48]:48} | {' '.join(inside) or '-'}")
        print(f"{'':22} {'':48} | neutral: {' '.join(neutral) or '-'}")
        if args.all and outside:
            print(f"{'':22} {'':48} | OUT: {' '.join(outside)}")
        if not inside:
            bare.append(chunk)
    print(f"\n{len(chunks)} chunks, {len(bare)} without an in-domain concept")
    for chunk in bare:
        print(f"  {chunk.chunk_id}  {chunk.section}: {chunk.text[:100]}...")


if __name__ == "__main__":
    main()
