"""Memory footprint of the digital state per synapse, against the binarized reference network.

The reference is the BNN of Laborieux et al. (784-4096-4096-10, float32 hidden weights,
20,029,440 synapses). Every term is a field, so other accountings are one setting away.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MemoryModel(BaseModel):
    """Bits of digital (host) state per synapse, for this network and for the reference."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    hidden_weight_bits: int = Field(32, ge=0, description="float32 hidden weight on the host")
    optimizer_bits: int = Field(
        0, ge=0, description="Adam moments per synapse, if counted (2 x 32 for float32)"
    )
    quantized_weight_bits: int = Field(
        0, ge=0, description="digital copy of the quantized weight (0: it lives on the chip)"
    )
    reference_synapses: int = Field(20_029_440, gt=0)
    reference_bits_per_synapse: int = Field(
        32, gt=0, description="float32 hidden weight of the reference BNN"
    )

    @property
    def bits_per_synapse(self) -> int:
        """Digital bits held per synapse of this network."""
        return self.hidden_weight_bits + self.optimizer_bits + self.quantized_weight_bits

    def footprint(self, synapses: int) -> dict[str, float]:
        """Total bits of this network and of the reference, and the reference-to-this ratio."""
        bits = self.bits_per_synapse * synapses
        reference = self.reference_bits_per_synapse * self.reference_synapses
        return {
            "synapses": synapses,
            "bits_per_synapse": self.bits_per_synapse,
            "total_bits": bits,
            "reference_bits": reference,
            "ratio_vs_reference": reference / bits if bits else float("inf"),
        }
