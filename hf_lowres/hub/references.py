"""The papers behind the techniques hf_lowres trains with, as cited by its model cards."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    """One paper: a one-line citation for the card's body and its BibTeX entry."""

    key: str
    text: str
    bibtex: str


REFERENCES: dict[str, Reference] = {
    "mad-x": Reference(
        "mad-x",
        "Pfeiffer, Vulić, Gurevych & Ruder (2020). MAD-X: An Adapter-Based Framework for Multi-Task Cross-Lingual "
        "Transfer. EMNLP. https://arxiv.org/abs/2005.00052",
        "@inproceedings{pfeiffer2020madx,\n"
        "  title={{MAD-X}: An Adapter-Based Framework for Multi-Task Cross-Lingual Transfer},\n"
        "  author={Pfeiffer, Jonas and Vuli{\\'c}, Ivan and Gurevych, Iryna and Ruder, Sebastian},\n"
        "  booktitle={Proceedings of EMNLP},\n  year={2020}\n}",
    ),
    "lora": Reference(
        "lora",
        "Hu, Shen, Wallis, Allen-Zhu, Li, Wang, Wang & Chen (2021). LoRA: Low-Rank Adaptation of Large Language "
        "Models. https://arxiv.org/abs/2106.09685",
        "@article{hu2021lora,\n  title={{LoRA}: Low-Rank Adaptation of Large Language Models},\n"
        "  author={Hu, Edward J. and Shen, Yelong and Wallis, Phillip and Allen-Zhu, Zeyuan and Li, Yuanzhi and "
        "Wang, Shean and Wang, Lu and Chen, Weizhu},\n  journal={arXiv preprint arXiv:2106.09685},\n  year={2021}\n}",
    ),
    "dann": Reference(
        "dann",
        "Ganin & Lempitsky (2015). Unsupervised Domain Adaptation by Backpropagation. ICML. "
        "https://arxiv.org/abs/1409.7495",
        "@inproceedings{ganin2015unsupervised,\n  title={Unsupervised Domain Adaptation by Backpropagation},\n"
        "  author={Ganin, Yaroslav and Lempitsky, Victor},\n  booktitle={Proceedings of ICML},\n  year={2015}\n}",
    ),
    "back-translation": Reference(
        "back-translation",
        "Sennrich, Haddow & Birch (2016). Improving Neural Machine Translation Models with Monolingual Data. ACL. "
        "https://arxiv.org/abs/1511.06709",
        "@inproceedings{sennrich2016improving,\n"
        "  title={Improving Neural Machine Translation Models with Monolingual Data},\n"
        "  author={Sennrich, Rico and Haddow, Barry and Birch, Alexandra},\n  booktitle={Proceedings of ACL},\n"
        "  year={2016}\n}",
    ),
    "temperature-sampling": Reference(
        "temperature-sampling",
        "Conneau & Lample (2019). Cross-lingual Language Model Pretraining. NeurIPS. https://arxiv.org/abs/1901.07291",
        "@inproceedings{conneau2019cross,\n  title={Cross-lingual Language Model Pretraining},\n"
        "  author={Conneau, Alexis and Lample, Guillaume},\n  booktitle={Advances in NeurIPS},\n  year={2019}\n}",
    ),
    "alignment": Reference(
        "alignment",
        "Cao, Kitaev & Klein (2020). Multilingual Alignment of Contextual Word Representations. ICLR. "
        "https://arxiv.org/abs/2002.03518",
        "@inproceedings{cao2020multilingual,\n  title={Multilingual Alignment of Contextual Word Representations},\n"
        "  author={Cao, Steven and Kitaev, Nikita and Klein, Dan},\n  booktitle={Proceedings of ICLR},\n"
        "  year={2020}\n}",
    ),
    "infonce": Reference(
        "infonce",
        "van den Oord, Li & Vinyals (2018). Representation Learning with Contrastive Predictive Coding. "
        "https://arxiv.org/abs/1807.03748",
        "@article{oord2018representation,\n  title={Representation Learning with Contrastive Predictive Coding},\n"
        "  author={van den Oord, Aaron and Li, Yazhe and Vinyals, Oriol},\n"
        "  journal={arXiv preprint arXiv:1807.03748},\n  year={2018}\n}",
    ),
}
