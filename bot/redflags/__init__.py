"""Red-flag escalation in front of retrieval: a missed emergency is the worst failure this product can have.

matching.py finds the words (tokens, patterns, negation, traps, question frames), rules.py decides which
category fires (precedence, earlier turns, kept flags), escalation.py writes the fixed reply with the phone
numbers, and safety.py joins the rules with the semantic net's verdict.
"""

from bot.redflags.escalation import Escalations
from bot.redflags.matching import RedFlagError
from bot.redflags.rules import RedFlagRules
from bot.redflags.safety import Safety, Verdict

__all__ = ["Escalations", "RedFlagError", "RedFlagRules", "Safety", "Verdict"]
