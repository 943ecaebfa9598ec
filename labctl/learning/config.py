"""The training run's settings, validated once; bad values become one-line ConfigErrors."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from drivers.errors import ConfigError
from labctl.datasets import TASKS
from labctl.datasets.families import base_task, expand, known_tasks
from labctl.device_model import ONLY_ON_THE_MOCK, DeviceOverrides
from labctl.learning.level_plan import level_plan
from labctl.learning.memory import MemoryModel
from labctl.learning.options import LrSchedule, MetaVariant
from labctl.learning.placement import check_placement
from labctl.run_config import OptionsModel, Seed


class TrainConfig(OptionsModel):
    """Everything that defines a metaplastic training run (defaults: the paper protocol)."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["software", "mock", "chip"] = Field(
        "software", description="where the quantized weights live")
    setup: str | None = Field(None, description="bench setup TOML for the chip backend")
    tasks: list[str] = Field(default_factory=lambda: ["mnist", "fashion-mnist"], min_length=1)
    levels: int = Field(8, ge=2, description="quantization levels N")
    hidden: list[int] = Field(
        default_factory=lambda: [1024, 512], min_length=1,
        description="hidden widths; 784-1024-512-10 keeps the memory 15x below the BNN reference",
    )
    epochs: int = Field(5, ge=1, description="epochs per task")
    meta: float = Field(4.5, ge=0, description="metaplasticity strength m* (0: control)")
    meta_variant: MetaVariant = Field(
        MetaVariant.INTERVAL, description="interval (the paper's rule) | global | lower; "
        "global trades MNIST retention for Fashion-MNIST and writes about 1.5x more levels"
    )
    activation_bits: int = Field(2, ge=1, le=8, description="1: sign with STE")
    batch_size: int = Field(100, ge=1)
    lr: float = Field(0.005, gt=0)
    lr_schedule: LrSchedule = Field(
        LrSchedule.COSINE, description="learning rate over each task: constant | cosine"
    )
    lr_warmup: float = Field(
        0.5, ge=0, lt=1,
        description="fraction of each task's steps over which the hidden weights' rate rises",
    )
    weight_decay: float = Field(1e-7, ge=0)
    init_scale: float = Field(0.05, gt=0, description="hidden weights start U(-s, s)")
    bn_scenario: Literal["task", "domain"] = "task"
    limit: int | None = Field(None, ge=1, description="first N training samples per task")
    seed: Seed = 0
    eval_batch_size: int = Field(1000, ge=1)
    threads: int = Field(2, ge=1)
    memory: MemoryModel = Field(default_factory=MemoryModel)
    tolerance: float | None = Field(
        None, gt=0, description="half-width of each level's write-verify band (S; default "
        "2 uS, or a quarter of the level spacing when closer)")
    device: DeviceOverrides = Field(
        default_factory=dict,
        description="device-model overrides of the simulated chip (--backend mock)")
    placement: str | None = Field(
        None, description="layers on the bench's chip, the rest on its digital twin: auto, "
        "all, none or layer names (default: auto on the chip; on the mock, a simulated chip "
        "sized to fit every layer)")
    twin_model: str | None = Field(
        None, description="the digital twin's device model, a preset or a file (default: "
        "the setup's [twin], else typical)")

    @field_validator("tasks", mode="before")
    @classmethod
    def _families_expanded(cls, tasks: object) -> object:
        if isinstance(tasks, list) and not tasks:
            raise ValueError("no task named: give e.g. mnist,fashion-mnist or pmnist:6")
        if isinstance(tasks, list) and all(isinstance(t, str) for t in tasks):
            return expand(tasks)
        return tasks

    @field_validator("tasks")
    @classmethod
    def _known_tasks(cls, tasks: list[str]) -> list[str]:
        unknown = [t for t in tasks if base_task(t) not in TASKS]
        if unknown:
            raise ValueError(f"unknown task {unknown[0]!r}; choose from {known_tasks()}")
        if len(set(tasks)) < len(tasks):
            twice = next(t for t in tasks if tasks.count(t) > 1)
            raise ValueError(f"task {twice!r} is named twice: each task is learnt once, in "
                             "order")
        return tasks

    @model_validator(mode="after")
    def _device_on_the_mock(self) -> TrainConfig:
        if self.device and self.backend != "mock":
            raise ValueError(ONLY_ON_THE_MOCK)
        return self

    @model_validator(mode="after")
    def _bands_apart(self) -> TrainConfig:
        if self.tolerance is not None:
            if self.backend == "software":
                raise ValueError("--tolerance is the verify band of the weights' levels on a "
                                 "chip: it needs --backend mock or chip")
            try:
                level_plan(self.levels, self.tolerance)
            except ConfigError as err:
                raise ValueError(str(err)) from None
        return self

    @model_validator(mode="after")
    def _placement_on_a_chip(self) -> TrainConfig:
        if self.backend == "software" and (self.placement or self.twin_model):
            raise ValueError("--placement and --twin-model place layers on a chip: they need "
                             "--backend mock or chip")
        if self.placement is not None:
            try:
                check_placement(self.placement, [f"fc{k}" for k in range(len(self.sizes) - 1)])
            except ConfigError as err:
                raise ValueError(str(err)) from None
        return self

    @field_validator("hidden")
    @classmethod
    def _positive_widths(cls, hidden: list[int]) -> list[int]:
        if any(h <= 0 for h in hidden):
            raise ValueError(f"hidden widths must be > 0, got {hidden}")
        return hidden

    @property
    def sizes(self) -> list[int]:
        """Layer sizes, input to output."""
        return [784, *self.hidden, 10]

