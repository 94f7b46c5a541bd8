"""crawler.attachments on Word 97-2003 (.doc) files: a real one, the same with its text piece
rewritten as UTF-16 Chinese, and hostile variants (never a crash, always bounded)."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import olefile
import pytest

from crawler.attachments import read_attachment, read_text

WORD97 = Path(__file__).parent / "data" / "word97.doc"
ID = "110101199003074514"  # valid check character and birth date (not a real person's)


def _fib(word: bytes) -> tuple[int, int]:
    """(offset of fcClx in the FIB, offset of ccpText)."""
    csw = struct.unpack_from("<H", word, 32)[0]
    lw = 34 + csw * 2
    cslw = struct.unpack_from("<H", word, lw)[0]
    return lw + 2 + cslw * 4 + 2 + 33 * 8, lw + 2 + 3 * 4


def rewritten(tmp_path: Path, text: str, *, flags: int | None = None,
              piece_end: int | None = None) -> bytes:
    """word97.doc with its one piece replaced by `text` as UTF-16LE (uncompressed), written
    into the WordDocument stream's free space at 0x900; streams keep their sizes."""
    path = tmp_path / "zh.doc"
    shutil.copyfile(WORD97, path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        word = bytearray(ole.openstream("WordDocument").read())
        table = bytearray(ole.openstream("1Table").read())
        clx_at, ccp_at = _fib(bytes(word))
        fc_clx = struct.unpack_from("<I", word, clx_at)[0]
        data = text.encode("utf-16-le")
        word[0x900:0x900 + len(data)] = data
        struct.pack_into("<I", word, ccp_at, len(text))
        # Clx = Pcdt: 0x02, lcb, CP[0], CP[1], Pcd (2 bytes, fc, 2 bytes prm)
        assert table[fc_clx] == 0x02
        struct.pack_into("<II", table, fc_clx + 5, 0, len(text) if piece_end is None
                         else piece_end)
        struct.pack_into("<I", table, fc_clx + 5 + 8 + 2, 0x900)  # fCompressed clear
        if flags is not None:
            struct.pack_into("<H", word, 0x0A, flags)
        ole.write_stream("WordDocument", bytes(word))
        ole.write_stream("1Table", bytes(table))
    return path.read_bytes()


def test_a_real_word97_document_is_read() -> None:
    read = read_text(WORD97.read_bytes())
    assert (read.format, read.error) == ("doc", "")
    assert read.text == "Test OLE file, saved as Word 97-2003 Document.\n"


def test_utf16_chinese_text_with_a_field_and_table_marks(tmp_path: Path) -> None:
    text = ("补助对象公示\r姓名\x07身份证号\x07\r王五\x07" + ID + "\x07\r"
            "\x13 HYPERLINK \"http://x\" \x14详见附件\x15\r")
    read = read_text(rewritten(tmp_path, text))
    assert read.error == ""
    assert read.text == f"补助对象公示\n姓名\t身份证号\t\n王五\t{ID}\t\n详见附件\n"
    facts = read_attachment(rewritten(tmp_path, text))
    assert facts.format == "doc" and [p.kind for p in facts.personal] == ["id"]
    assert ID not in repr(facts) and facts.personal[0].masked.endswith("4514")


def test_encrypted_and_malformed_documents_are_reported_not_read(tmp_path: Path) -> None:
    encrypted = read_text(rewritten(tmp_path, "机密", flags=0x0300))
    assert encrypted.text == "" and "加密" in encrypted.error
    # a piece claiming far more characters than the stream holds: what is there is read
    long = read_text(rewritten(tmp_path, "名单", piece_end=2**31))
    assert long.text.startswith("名单") and len(long.text) <= 500_000
    body = WORD97.read_bytes()
    for hostile in (body[:600], body[:2048] + b"\xff" * 2048, body[:512] + bytes(20000),
                    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000)):
        read = read_text(hostile)
        assert read.text == "" and read.error, read


@pytest.mark.parametrize("offset", [0x200, 0x400, 0x600, 0x800, 0xA00, 0x1000, 0x1400])
def test_corrupted_sectors_never_raise(offset: int) -> None:
    body = bytearray(WORD97.read_bytes())
    body[offset:offset + 256] = bytes((i * 37 + offset) % 256 for i in range(256))
    read = read_text(bytes(body))
    assert read.format in ("doc", "ole") and isinstance(read.text, str)
