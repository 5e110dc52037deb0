"""What a run would cost, told before anything is sent (``annotate --dry-run``).

Tokens are counted with the backend's counter on the very requests it would send (the
rendered prompt of every piece, the schema where the server reads it). The worst case
assumes every piece needs every re-ask and every answer runs to ``--max-tokens``; a run
without re-asks costs the prompt tokens once plus what the model writes. Prices are
the list prices of :mod:`annotator.llm.pricing` (``--price-per-mtok`` overrides them:
check your provider's); a local server costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotator.llm.pricing import Price, price_of


def list_price(model: str, local: bool) -> Price | None:
    """The price table's figure for ``model`` (:mod:`annotator.llm.pricing`); a local
    server costs nothing."""
    if local:
        return Price(0.0, 0.0, "local server")
    return price_of(model)


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
