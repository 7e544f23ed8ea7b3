"""Small real corpora written in the prepared-corpus format, and the tiny training config."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from fabula.data.corpus import corpus_dir
from fabula.train.config import TrainConfig, load_config

SENTENCES = [
    "The lamps along the harbour burned low and gold.",
    "She opened the letter slowly, and the sea was calm that night.",
    "He smiled at her and said that he had come back for the key.",
    "Nobody in the village had seen the stranger leave the inn.",
    "The inspector counted the footprints twice before he spoke.",
    "Rain fell on the garden, and the roses bowed their heads.",
    "Thou art more lovely than the morning, and more constant too.",
    "In the attic they found a map, a candle and a silver bell.",
    "The clock struck midnight; the door creaked open by itself.",
    "They walked along the river until the city lights were gone.",
    "Her brother kept the secret for eleven long and quiet years.",
    "A letter without a name arrived on the first day of winter.",
]
GENRES = ["mystery", "romance"]

POEMS = [  # (title, author, form, text): classical poems, public domain
    ("静夜思", "李白", "五言绝句", "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"),
    ("春晓", "孟浩然", "五言绝句", "春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。"),
    ("登鹳雀楼", "王之涣", "五言绝句", "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。"),
    ("相思", "王维", "五言绝句", "红豆生南国，春来发几枝。\n愿君多采撷，此物最相思。"),
    ("江雪", "柳宗元", "五言绝句", "千山鸟飞绝，万径人踪灭。\n孤舟蓑笠翁，独钓寒江雪。"),
    ("早发白帝城", "李白", "七言绝句", "朝辞白帝彩云间，千里江陵一日还。\n两岸猿声啼不住，轻舟已过万重山。"),
    ("枫桥夜泊", "张继", "七言绝句", "月落乌啼霜满天，江枫渔火对愁眠。\n姑苏城外寒山寺，夜半钟声到客船。"),
]
CI = (
    "如梦令",
    "李清照",
    "昨夜雨疏风骤，浓睡不消残酒。\n试问卷帘人，却道海棠依旧。\n知否，知否？\n应是绿肥红瘦。",
)


def write_split(name: str, split: str, docs: list[dict]) -> None:
    folder = corpus_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(d, ensure_ascii=False) for d in docs]
    (folder / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def english_docs(count: int, seed: int, prefix: str) -> list[dict]:
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        paragraphs = ["\n".join(rng.sample(SENTENCES, 4)) for _ in range(3)]
        genre = GENRES[i % 2]
        docs.append(
            {
                "id": f"{prefix}{i}",
                "text": "\n\n".join(paragraphs),
                "meta": {"lang": "en", "source": "fabula-tests", "genre": genre, "title": f"Story {i}"},
            }
        )
    return docs


def write_english_corpus(name: str = "tiny") -> str:
    write_split(name, "train", english_docs(60, 0, "train-"))
    write_split(name, "validation", english_docs(4, 1, "val-"))
    write_split(name, "test", english_docs(4, 2, "test-"))
    return name


def chinese_docs() -> list[dict]:
    docs = [
        {
            "id": f"poem-{i}",
            "text": text,
            "meta": {"lang": "zh", "source": "tests", "form": form, "title": title, "author": author},
        }
        for i, (title, author, form, text) in enumerate(POEMS)
    ]
    docs.append(
        {
            "id": "ci-0",
            "text": CI[2],
            "meta": {"lang": "zh", "source": "tests", "form": "词", "tune": CI[0], "author": CI[1]},
        }
    )
    return docs


def write_chinese_corpus(name: str = "poems") -> str:
    docs = chinese_docs()
    for split in ("train", "validation", "test"):
        write_split(name, split, docs * 3)
    return name


@pytest.fixture
def en_corpus(fabula_home: Path) -> str:
    return write_english_corpus()


@pytest.fixture
def zh_corpus(fabula_home: Path) -> str:
    return write_chinese_corpus()


@pytest.fixture
def tiny_config(tmp_path: Path, en_corpus: str) -> TrainConfig:
    cfg = load_config("tiny-test.toml")
    return cfg.model_copy(update={"run": cfg.run.model_copy(update={"out": tmp_path / "run"})})


def with_run(cfg: TrainConfig, **changes) -> TrainConfig:  # type: ignore[no-untyped-def]
    return cfg.model_copy(update={"run": cfg.run.model_copy(update=changes)})
