"""Whose wallet: a user's or a company's.

Every read and write of the points app names its wallet by an Owner, so that
one protocol (services/protocol.py), one set of selectors and one sweeper serve
both kinds of wallet. The wallet, its entries and its lots carry the same two
columns, exactly one of them set (a CHECK on each table).
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Owner:
    user_id: int | None = None
    company_id: int | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.company_id is None):
            raise ValueError("a wallet has exactly one owner: a user or a company")

    @classmethod
    def of(cls, row: Any) -> "Owner":
        """The owner of a wallet, an entry or a lot."""
        return cls(user_id=row.user_id, company_id=row.company_id)

    @property
    def fields(self) -> dict[str, int]:
        """As model fields: a filter of the owner's rows, or the owner of a new one
        (the other column stays NULL)."""
        if self.company_id is not None:
            return {"company_id": self.company_id}
        return {"user_id": self.user_id}

    @property
    def is_company(self) -> bool:
        return self.company_id is not None

    def __str__(self) -> str:
        return f"company {self.company_id}" if self.is_company else f"user {self.user_id}"
