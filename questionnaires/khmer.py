"""One spelling for each Khmer word whose subscript is easy to get wrong.

Subscript TA (្ត) and subscript DA (្ដ) look the same in most fonts but are different
characters, so one word typed two ways breaks search, sorting and exact matching. Every
Khmer text of the app (catalog, questionnaires, SMS texts) uses the spelling below, the
one of the Royal Academy's Khmer dictionary; tests/test_khmer_spelling.py checks it. Reply
parsers accept both (questionnaires.replies.fold_subscripts).
"""
from __future__ import annotations

COENG_TA, COENG_DA = "\u17d2\u178f", "\u17d2\u178a"

# Written with subscript DA (្ដ).
WITH_DA = ("ម្ដាយ", "ម្ដង", "ប្ដូរ", "ប្ដី", "ផ្ដើម", "ផ្ដល់", "សប្ដាហ៍", "បណ្ដោយ", "ស្ដាប់", "កណ្ដាល", "ឧត្ដរ")
# Written with subscript TA (្ត).
WITH_TA = ("បន្ត", "ខេត្ត", "អត្ត", "អន្តោ", "កម្សាន្ត", "ប៉ុន្តែ", "មិត្ត", "សួស្តី", "ចិត្ត", "សម្បត្តិ", "ភក្តិ",
           "វត្ត", "មន្ត្រី", "ស្តង់ដា")


def wrong_forms() -> dict[str, str]:
    """Each non-standard spelling, mapped to the standard one."""
    found = {word.replace(COENG_DA, COENG_TA): word for word in WITH_DA}
    found.update({word.replace(COENG_TA, COENG_DA): word for word in WITH_TA})
    return found
