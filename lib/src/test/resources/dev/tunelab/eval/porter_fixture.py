"""Writes porter_nltk.tsv: words and their stems from NLTK's PorterStemmer (default mode,
NLTK_EXTENSIONS), the stemmer rouge-score uses. Independent reference for PorterStemmerTest.

Usage: python3 porter_fixture.py DATASETS_DIR > porter_nltk.tsv
  DATASETS_DIR: the shared data folder (instruct/alpaca_gpt4_en_sample.json,
  tinystories/tinystories_validation_head.txt). Generated with nltk 3.8 (Debian python3-nltk).
"""
import json
import re
import sys
from pathlib import Path

from nltk.stem.porter import PorterStemmer

root = Path(sys.argv[1])
text = (root / "tinystories" / "tinystories_validation_head.txt").read_text(encoding="utf-8")
for row in json.loads((root / "instruct" / "alpaca_gpt4_en_sample.json").read_text(encoding="utf-8")):
    text += " " + " ".join(row.values())
words = sorted({w for w in re.findall(r"[a-z]+", text.lower())})
# Words from Porter's paper and NLTK's irregular-form table, so every rule is exercised.
words += ["caresses", "ponies", "ties", "caress", "cats", "feed", "agreed", "plastered", "bled", "motoring",
          "sing", "conflated", "troubled", "sized", "hopping", "tanned", "falling", "hissing", "fizzed",
          "failing", "filing", "happy", "sky", "relational", "conditional", "rational", "valenci", "hesitanci",
          "digitizer", "conformabli", "radicalli", "differentli", "vileli", "analogousli", "vietnamization",
          "predication", "operator", "feudalism", "decisiveness", "hopefulness", "callousness", "formaliti",
          "sensitiviti", "sensibiliti", "triplicate", "formative", "formalize", "electriciti", "electrical",
          "hopeful", "goodness", "revival", "allowance", "inference", "airliner", "gyroscopic", "adjustable",
          "defensible", "irritant", "replacement", "adjustment", "dependent", "adoption", "homologou",
          "communism", "activate", "angulariti", "homologous", "effective", "bowdlerize", "probate", "rate",
          "cease", "controll", "roll", "dies", "died", "flies", "spied", "enjoy", "spy", "dying", "lying",
          "tying", "news", "innings", "outings", "cannings", "howe", "proceed", "exceed", "succeed", "skies",
          "geology", "archaeology", "fulli", "oed", "as", "is", "by"]
stemmer = PorterStemmer()
seen = set()
for w in words:
    if w not in seen:
        seen.add(w)
        print(f"{w}\t{stemmer.stem(w)}")
