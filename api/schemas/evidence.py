"""Links to a fault's evidence pictures, as alert, alert event and case responses carry them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EvidenceOut(BaseModel):
    fault_url: str = Field(description="The picture the checks judged faulty (image/jpeg).")
    before_url: str | None = Field(
        description="The camera's last good picture before the fault; null when none was kept."
    )
