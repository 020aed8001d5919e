"""The JSON record of a saved set of adapters: what they are, what they were trained on, what was active."""

import json
import os
from dataclasses import asdict, dataclass, field

from .constants import COMPOSITION_FILE


@dataclass
class AdapterComposition:
    """What `AdapterManager.save` writes beside the adapters, as `hf_lowres_composition.json`.

    Args:
        hf_lowres_version: the version that wrote it.
        model_class: the hf_lowres class the adapters were trained on (e.g. `LowResForMaskedLM`).
        base_model: the backbone's `name_or_path`, `model_type`, `hidden_size`, `num_hidden_layers`, `vocab_size`.
        base_transformer_path: where the base transformer sits in `model_class` (`backbone.bert` in a masked LM);
            used to move adapters between classes.
        lowres_config: the `LowResConfig` fields other than the backbone's config (languages, discriminator...).
        adapters: adapter name -> `{"kind": "language", "language": code}` or `{"kind": "task", "task": name}`.
        active: the adapters active when saved, in order.
        heads: which shared head files were written (`discriminator`, `lm_head`).
    """

    hf_lowres_version: str
    model_class: str
    base_model: dict
    base_transformer_path: str
    lowres_config: dict
    adapters: dict[str, dict] = field(default_factory=dict)
    active: list[str] = field(default_factory=list)
    heads: dict[str, str] = field(default_factory=dict)

    def save(self, directory: str | os.PathLike) -> None:
        with open(os.path.join(directory, COMPOSITION_FILE), "w", encoding="utf-8") as f:
            json.dump(asdict(self), f, indent=2, sort_keys=True)
            f.write("\n")

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "AdapterComposition":
        path = os.path.join(directory, COMPOSITION_FILE)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"{path} does not exist: expected a directory written by `AdapterManager.save` "
                f"(it holds {COMPOSITION_FILE}, one folder per adapter and the head files)."
            )
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"{path}: unknown fields {unknown}; written by a newer hf_lowres?")
        return cls(**data)
