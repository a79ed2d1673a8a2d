"""painbot: cited answers on leg, foot, heel and sciatic pain from vetted Scandinavian articles."""

__version__ = "0.1.0"
