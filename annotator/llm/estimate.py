"""What a run would cost, told before anything is sent (``annotate --dry-run``).

Tokens are counted with the backend's counter on the very requests it would send (the
rendered prompt of every piece, the schema where the server reads it). The worst case
assumes every piece needs every re-ask and every answer runs to ``--max-tokens``; a run
without re-asks costs the prompt tokens once plus what the model writes. Prices are
list prices in US dollars per million tokens, for the models below, as published by
OpenAI in 2025 (``--price-per-mtok`` overrides them: check your provider's); a local
server costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "o4-mini": (1.10, 4.40),
}
"""USD per million (input, output) tokens."""


@dataclass(frozen=True)
class Price:
    """USD per million input and output tokens, and where the figure came from."""

    input: float
    output: float
    source: str

    @classmethod
    def parse(cls, text: str) -> Price:
        """``"0.15"`` (both) or ``"0.15,0.60"`` (input, output), from ``--price-per-mtok``."""
        parts = [p.strip() for p in text.split(",")]
        try:
            values = [float(p) for p in parts]
        except ValueError as error:
            raise ValueError(f"--price-per-mtok {text!r}: give USD per million tokens, e.g. 0.15,0.60") from error
        if len(values) not in (1, 2) or min(values) < 0:
            raise ValueError(f"--price-per-mtok {text!r}: one or two non-negative numbers (input,output)")
        return cls(values[0], values[-1], "--price-per-mtok")


def list_price(model: str, local: bool) -> Price | None:
    """The table's price for ``model`` (longest matching name), free for a local server."""
    if local:
        return Price(0.0, 0.0, "local server")
    for name in sorted(PRICES, key=len, reverse=True):
        if model == name or model.startswith(name + "-"):
            return Price(*PRICES[name], source=f"list price of {name}")
    return None


@dataclass(frozen=True)
class Estimate:
    """One article's requests, before any is sent."""

    article: str
    characters: int
    pieces: int
    prompt_tokens: int
    """Prompt tokens of the first request of every piece."""
    worst_prompt_tokens: int
    worst_completion_tokens: int

    def cost(self, price: Price | None) -> tuple[float, float] | None:
        """USD without re-asks (prompts only, answers not known) and in the worst case."""
        if price is None:
            return None
        first = self.prompt_tokens * price.input / 1e6
        worst = (self.worst_prompt_tokens * price.input + self.worst_completion_tokens * price.output) / 1e6
        return first, worst
