"""What tokens cost: a small table of list prices, and the batch API's discount.

Prices are US dollars per million tokens (input, output), OpenAI's published list
prices for the standard tier, checked when this table was written; a model not listed
has no known price unless the user gives one (``--price-per-mtok IN,OUT``). The batch
API bills half of these. Costs are estimates for planning and reports, never a bill.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from annotator.models import Usage

BATCH_DISCOUNT = 0.5
"""Batch requests are billed at half the list price."""


@dataclass(frozen=True)
class Price:
    """Dollars per million input and output tokens, and where the figure came from."""

    input: float
    output: float
    source: str = "--price-per-mtok"

    @classmethod
    def parse(cls, text: str) -> Price:
        """``"0.15"`` (both) or ``"0.15,0.60"`` (input, output), as ``--price-per-mtok`` takes it."""
        try:
            values = [float(part) for part in text.split(",")]
        except ValueError as error:
            raise ValueError(
                f"--price-per-mtok {text!r}: give dollars per million tokens, IN[,OUT], e.g. 0.15,0.60"
            ) from error
        if len(values) not in (1, 2) or min(values) < 0:
            raise ValueError(f"--price-per-mtok {text!r}: one or two non-negative numbers (input,output)")
        return cls(values[0], values[-1])

    def cost(self, usage: Usage, batch: bool = False) -> float:
        """Dollars for ``usage``; half for batch requests."""
        dollars = (usage.prompt_tokens * self.input + usage.completion_tokens * self.output) / 1_000_000
        return dollars * (BATCH_DISCOUNT if batch else 1.0)


LIST_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "o4-mini": Price(1.10, 4.40),
}


def price_of(model: str, given: Price | None = None) -> Price | None:
    """The user's price, else the list price of ``model`` or of the family a dated
    snapshot belongs to (``gpt-4o-mini-2024-07-18`` is ``gpt-4o-mini``), else ``None``."""
    if given is not None:
        return given
    for name in sorted(LIST_PRICES, key=len, reverse=True):
        if model == name or model.startswith(f"{name}-20"):
            return replace(LIST_PRICES[name], source=f"list price of {name}")
    return None
