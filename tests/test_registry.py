"""The site registry loader: values and defaults of good files, and for every kind of bad
value the exact line and reason, all errors of a file at once, and nothing imported."""

from __future__ import annotations

import pickle
import re
import time
from pathlib import Path
from textwrap import dedent, indent

import pytest

from core import registry
from core.registry import RegistryError, RegistryInvalid, load_registry, parse_registry
from core.site import Contact, CrawlOptions, SiteEntry

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "sites.example.yaml"

# Line 1 "sites:", line 2 the entry, ids on line 2; append lines from line 6 on.
BASE = """\
sites:
  - id: a
    name: 甲市人民政府
    url: https://www.a.gov.cn/
    level: city
"""


def more(snippet: str) -> str:
    """BASE plus more keys of its entry, written at column 0 in the test."""
    return BASE + indent(dedent(snippet), "    ")


def problems(text: str, known_ids: tuple[str, ...] = ()) -> list[tuple[int | None, str]]:
    """(line, reason) of every error in `text`; fails if the text is valid."""
    with pytest.raises(RegistryInvalid) as info:
        parse_registry(dedent(text), "t.yaml", known_ids)
    return [(e.line, e.reason) for e in info.value.errors]


def one_problem(text: str, known_ids: tuple[str, ...] = ()) -> tuple[int | None, str]:
    found = problems(text, known_ids)
    assert len(found) == 1, found
    return found[0]


# -- good files ----------------------------------------------------------------------------


def test_example_registry_loads_with_its_values() -> None:
    sites = load_registry(EXAMPLE)
    by_id = {s.id: s for s in sites}
    assert [s.id for s in sites] == ["hunan", "yongzhou", "hunan-jyt"]
    hunan, yz, jyt = by_id["hunan"], by_id["yongzhou"], by_id["hunan-jyt"]
    assert hunan.url == "https://www.hunan.gov.cn/"  # normalised: the file has no slash
    assert (hunan.level, hunan.kind, hunan.parent) == ("province", "portal", None)
    assert hunan.important_columns == ("/szf/hnzb/", "/xxgk/wjk/szfwj/")
    assert yz.parent == "hunan" and yz.repost_from == ("hunan",)
    assert [(c.email, c.webhook is not None) for c in yz.contacts] == [
        ("webmaster@yzcity.gov.cn", False), (None, True)]
    assert yz.site_code == "4311000024" and yz.icp == "湘ICP备05009375号"
    assert yz.columns[0].name == "政务动态" and yz.columns[0].type == "news"
    assert yz.columns[2].path == "https://yzcity.gov.cn/zcwj/"
    assert yz.columns[3].type is None
    assert yz.all_hosts == ("www.yzcity.gov.cn", "yzcity.gov.cn")
    # Merge key: the shared crawl options with max_pages overridden.
    assert yz.crawl == CrawlOptions(max_pages=5000, max_depth=8, delay=0.5, concurrency=4)
    assert (jyt.level, jyt.kind) == ("department", "department")
    assert jyt.crawl == CrawlOptions(delay=1.0, concurrency=2)
    assert [SiteEntry.from_dict(s.to_dict()) for s in sites] == sites


def test_minimal_entry_gets_the_defaults() -> None:
    [site] = parse_registry(BASE)
    assert site == SiteEntry(id="a", name="甲市人民政府", url="https://www.a.gov.cn/", level="city")
    assert site.kind == "portal" and site.crawl == CrawlOptions()
    assert site.parent is None and site.site_code is None and site.columns == ()


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://www.a.gov.cn", "https://www.a.gov.cn/"),
        ("http://www.a.gov.cn:8080", "http://www.a.gov.cn:8080/"),
        ("https://www.a.gov.cn?x=1", "https://www.a.gov.cn/?x=1"),
        ("https://www.a.gov.cn/index.html", "https://www.a.gov.cn/index.html"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/"),
    ],
)
def test_url_gets_a_slash_when_its_path_is_empty(given: str, stored: str) -> None:
    [site] = parse_registry(BASE.replace("https://www.a.gov.cn/", given))
    assert site.url == stored


def test_blank_optional_values_mean_not_given_and_strings_are_trimmed() -> None:
    [site] = parse_registry(BASE + "    parent:\n    kind: ~\n    icp: ' 湘ICP备1号 '\n")
    assert site.parent is None and site.kind == "portal" and site.icp == "湘ICP备1号"


def test_site_code_forms() -> None:
    def code(value: str) -> str | None:
        return parse_registry(BASE + f"    site_code: {value}\n")[0].site_code

    assert code('"4311000024"') == "4311000024"
    assert code("bm01000001") == "bm01000001"
    assert code("4311000024") == "4311000024"  # an unquoted 10-digit int is converted


def test_parent_and_repost_from_may_name_sites_imported_before() -> None:
    text = BASE + "    parent: hunan\n    repost_from: [govcn, hunan]\n"
    [site] = parse_registry(text, known_ids={"hunan", "govcn"})
    assert site.parent == "hunan" and site.repost_from == ("govcn", "hunan")


def test_column_urls_on_the_site_or_its_hosts_are_accepted() -> None:
    text = BASE + (
        "    hosts: [a.gov.cn]\n"
        "    columns:\n"
        '      - {name: 动态, path: "https://www.a.gov.cn/dt/"}\n'
        '      - {name: 政策, path: "http://A.gov.cn/zc/", type: policy}\n'
    )
    [site] = parse_registry(text)
    assert [c.path for c in site.columns] == ["https://www.a.gov.cn/dt/", "http://A.gov.cn/zc/"]


def test_load_registry_accepts_str_and_path_and_a_bom(tmp_path: Path) -> None:
    file = tmp_path / "sites.yaml"
    file.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert load_registry(file) == load_registry(str(file)) == parse_registry(BASE)


# -- error reporting -----------------------------------------------------------------------


def test_error_strings_name_file_line_and_reason() -> None:
    text = BASE + "    colums: []\n"
    with pytest.raises(RegistryInvalid) as info:
        parse_registry(text, "config/sites.yaml")
    [error] = info.value.errors
    assert (error.path, error.line) == ("config/sites.yaml", 6)
    assert str(error) == 'config/sites.yaml:6: 未知字段 "colums"（站点 a）；是否应为 "columns"？'
    assert str(info.value) == f"{error}（共 1 处错误）"
    assert str(RegistryError("f.yaml", None, "无法读取")) == "f.yaml: 无法读取"
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value)


def test_load_registry_names_the_path_as_given(tmp_path: Path) -> None:
    file = tmp_path / "sites.yaml"
    file.write_text(BASE + "    colour: red\n", encoding="utf-8")
    with pytest.raises(RegistryInvalid) as info:
        load_registry(file)
    assert str(info.value.errors[0]).startswith(f'{file}:6: 未知字段 "colour"')


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(RegistryInvalid) as info:
        load_registry(tmp_path / "missing.yaml")
    [error] = info.value.errors
    assert error.line is None and "无法读取文件" in error.reason
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes(BASE.encode("gbk"))
    with pytest.raises(RegistryInvalid) as info:
        load_registry(gbk)
    [error] = info.value.errors
    assert error.line == 3 and "UTF-8" in error.reason  # the name line holds the GBK bytes


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "文件为空"),
        ("# only a comment\n", 1, "文件为空"),
        ("- a\n- b\n", 1, "顶层应为只含 sites 字段的映射"),
        ("site:\n  - id: a\n", 1, '未知顶层字段 "site"'),
        ("sites:\n", 1, "sites 应为列表，实际为空值"),
        ("sites: []\n", 1, "sites 列表为空"),
        ("\n\nsites: yes\n", 3, "sites 应为列表，实际为布尔值 yes"),
        ("sites:\n  - just-a-string\n", 2, "第 1 个站点应为映射"),
        ("sites:\n  - id: a\n    name: [x\n", 4, "YAML 语法错误"),
        ("sites:\n  - id: a\n\tname: x\n", 3, "YAML 语法错误"),
        ("sites: []\n---\nsites: []\n", 2, "YAML 语法错误"),
    ],
)
def test_bad_file_shapes(text: str, line: int, words: str) -> None:
    found = problems(text)
    assert found[0][0] == line and words in found[0][1], found


def test_unconstructable_values_and_control_characters() -> None:
    assert one_problem(BASE.replace("甲市人民政府", "!fancy 甲")) == (
        3,
        'name 应为字符串，实际为无法解析的值 "甲"（类型标签 !fancy）（站点 a）',
    )
    assert one_problem(BASE.replace("甲市人民政府", "甲\x07")) == (
        3,
        "YAML 无法读取：含不允许的字符 #x0007",
    )


def test_missing_sites_key_is_reported() -> None:
    assert problems("version: 1\n") == [
        (1, '未知顶层字段 "version"：顶层只允许 sites'),
        (1, "缺少顶层字段 sites"),
    ]


def test_missing_required_fields_point_at_the_entry() -> None:
    text = "sites:\n  - id: a\n    name: 甲\n  - name: 乙\n    url: https://b.gov.cn/\n"
    assert problems(text) == [
        (2, '缺少必填字段 "url"（站点 a）'),
        (2, '缺少必填字段 "level"（站点 a）'),
        (4, '缺少必填字段 "id"（第 2 个站点）'),
        (4, '缺少必填字段 "level"（第 2 个站点）'),
    ]


def test_required_field_left_blank_points_at_its_line() -> None:
    assert one_problem(BASE.replace("甲市人民政府", "")) == (3, '缺少必填字段 "name"（站点 a）')
    assert one_problem(BASE.replace("甲市人民政府", "' '")) == (3, "name 不能为空（站点 a）")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("Yongzhou", 'id "Yongzhou" 只能含小写字母、数字和连字符'),
        ("-a", 'id "-a" 只能含'),
        ("a_b", 'id "a_b" 只能含'),
        ("４３", 'id "４３" 只能含'),  # full-width digits
        ("430000", "id 应为字符串，实际为整数 430000"),
        ("[a]", "id 应为字符串，实际为列表"),
    ],
)
def test_bad_ids(value: str, words: str) -> None:
    line, reason = one_problem(BASE.replace("id: a", f"id: {value}"))
    assert line == 2 and words in reason


def test_duplicate_id_is_reported_at_the_second_naming_the_first() -> None:
    text = BASE + BASE.removeprefix("sites:\n").replace("甲市", "乙市")
    assert one_problem(text) == (6, '站点 id "a" 重复（第 2 行已定义）')


def test_duplicate_key_in_an_entry() -> None:
    assert one_problem(BASE + "    name: 乙\n") == (6, '字段 "name" 重复（第 3 行已有）（站点 a）')


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://www.a.gov.cn/", "应以 http:// 或 https:// 开头"),
        ("www.a.gov.cn", "应以 http:// 或 https:// 开头"),
        ("https:///path", "缺少主机名"),
        ("'https://www.a.gov.cn/a b'", "不能含空白字符"),
        ("https://www.a.gov.cn:99999/", "格式无效"),
        ("https://www_a.gov.cn/", '主机名 "www_a.gov.cn" 无效'),
        ("https://[::1/", "格式无效"),
        ("42", "url 应为字符串，实际为整数 42"),
    ],
)
def test_bad_urls(url: str, words: str) -> None:
    line, reason = one_problem(BASE.replace("https://www.a.gov.cn/", url))
    assert line == 4 and words in reason and reason.endswith("（站点 a）")


def test_bad_level_and_kind() -> None:
    text = BASE.replace("level: city", "level: town") + "    kind: portals\n"
    assert problems(text) == [
        (5, 'level 的值 "town" 无效，应为 national | province | city | county | department 之一'
            "（站点 a）"),
        (6, 'kind 的值 "portals" 无效，应为 portal | department 之一（站点 a）'),
    ]  # fmt: skip


def test_unknown_parent() -> None:
    assert one_problem(BASE + "    parent: hunan\n", known_ids=("govcn",)) == (
        6,
        '上级站点 "hunan" 不存在（本文件和已导入的站点中都没有）（站点 a）',
    )


def test_parent_defined_later_in_the_file_is_fine() -> None:
    text = BASE + "    parent: b\n" + BASE.removeprefix("sites:\n").replace("id: a", "id: b")
    assert [s.parent for s in parse_registry(text)] == ["b", None]


def test_cross_entry_errors_name_an_entry_without_a_valid_id_by_position() -> None:
    text = BASE.replace("id: a", "id: A") + "    parent: nowhere\n"
    assert problems(text)[1] == (
        6,
        '上级站点 "nowhere" 不存在（本文件和已导入的站点中都没有）（第 1 个站点）',
    )


def test_own_parent() -> None:
    assert one_problem(BASE + "    parent: a\n") == (6, 'parent 不能是站点自身 "a"（站点 a）')


def test_parent_cycle_is_reported_once_at_its_first_entry() -> None:
    text = dedent("""\
        sites:
          - {id: a, name: 甲, url: "https://a.gov.cn/", level: city, parent: c}
          - {id: b, name: 乙, url: "https://b.gov.cn/", level: city, parent: a}
          - {id: c, name: 丙, url: "https://c.gov.cn/", level: city, parent: b}
          - {id: d, name: 丁, url: "https://d.gov.cn/", level: city, parent: c}
    """)
    assert one_problem(text) == (2, "上级关系成环：a → c → b → a（站点 a）")


def test_two_site_cycle() -> None:
    text = dedent("""\
        sites:
          - {id: x, name: 甲, url: "https://a.gov.cn/", level: city}
          - id: a
            name: 乙
            url: https://b.gov.cn/
            level: city
            parent: b
          - {id: b, name: 丙, url: "https://c.gov.cn/", level: city, parent: a}
    """)
    assert one_problem(text) == (7, "上级关系成环：a → b → a（站点 a）")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("431100002", "site_code 431100002 被读成了整数，前导零可能已丢失：请用引号括起标识码"),
        ("0431100002", "请用引号括起标识码"),  # YAML 1.1 reads this as an octal int
        ("43110000241", "site_code 43110000241 被读成了整数"),
        ('"431100002"', 'site_code "431100002" 格式无效：应为10位数字或 bm 加8位数字'),
        ("BM01000001", 'site_code "BM01000001" 格式无效'),
        ("bm0100001", 'site_code "bm0100001" 格式无效'),
        ("'４３１１００００２４'", "格式无效"),
        ("true", "site_code 应为字符串，实际为布尔值 true"),
    ],
)
def test_bad_site_codes(value: str, words: str) -> None:
    line, reason = one_problem(BASE + f"    site_code: {value}\n")
    assert line == 6 and words in reason, reason


def test_repost_from_must_be_a_list_of_registered_ids() -> None:
    assert one_problem(BASE + "    repost_from: hunan\n") == (
        6,
        'repost_from 应为列表，实际为字符串 "hunan"（站点 a）',
    )
    text = BASE + "    repost_from:\n      - govcn\n      - hunan\n      - a\n      - govcn\n"
    assert problems(text, known_ids=("govcn",)) == [
        (8, 'repost_from 中的站点 "hunan" 不存在（本文件和已导入的站点中都没有）（站点 a）'),
        (9, 'repost_from 不能包含站点自身 "a"（站点 a）'),
        (10, 'repost_from 中 "govcn" 重复（站点 a）'),
    ]


@pytest.mark.parametrize("key", ["important_columns", "repost_columns", "archive_paths"])
def test_path_lists(key: str) -> None:
    text = BASE + f"    {key}:\n      - /ok/\n      - zxwj/\n      - //evil.example/\n"
    found = problems(text)
    assert [line for line, _ in found] == [8, 9]
    assert f'{key} 的路径 "zxwj/" 无效：应为以 "/" 开头' in found[0][1]
    assert one_problem(BASE + f"    {key}: /zxwj/\n") == (
        6,
        f'{key} 应为列表，实际为字符串 "/zxwj/"（站点 a）',
    )


def test_bad_columns() -> None:
    text = more("""\
        columns:
            - 政务动态
            - {name: 动态, path: /dt/, typ: news}
            - {name: 通知}
            - {name: 政策, path: /zc/, type: policies}
            - {name: 外站, path: "https://www.b.gov.cn/x/"}
            - {name: 动态2, path: /dt/}
            - {name: 坏, path: "zc/"}
    """)
    assert problems(text) == [
        (7, "columns 的每一项应为映射 {name, path, type}，实际为字符串 \"政务动态\"（站点 a）"),
        (8, '栏目的未知字段 "typ"：只允许 name、path、type（站点 a）'),
        (9, '栏目缺少必填字段 "path"（站点 a）'),
        (10, '栏目 type 的值 "policies" 无效，应为 news | notice | policy | personnel | plan | '
             "static 之一（站点 a）"),
        (11, '栏目 path "https://www.b.gov.cn/x/" 不在本站主机上（本站主机：www.a.gov.cn；'
             "其他主机请加入 hosts）（站点 a）"),
        (12, '栏目路径 "/dt/" 重复（第 8 行已有）（站点 a）'),
        (13, '栏目 path "zc/" 无效：应为以 "/" 开头的路径或本站的完整网址（站点 a）'),
    ]  # fmt: skip


def test_columns_must_be_a_list() -> None:
    assert one_problem(BASE + "    columns: {name: 动态, path: /dt/}\n") == (
        6,
        "columns 应为列表，实际为映射（站点 a）",
    )


def test_bad_crawl_options() -> None:
    text = more("""\
        crawl:
            max_pages: 0
            max_depth: -1
            delay: fast
            concurrency: 65
            speed: 3
    """)
    assert problems(text) == [
        (7, "crawl.max_pages 应不小于 1，实际为 0（站点 a）"),
        (8, "crawl.max_depth 应不小于 0，实际为 -1（站点 a）"),
        (9, 'crawl.delay 应为数字（秒），实际为字符串 "fast"（站点 a）'),
        (10, "crawl.concurrency 应在 1 到 64 之间，实际为 65（站点 a）"),
        (11, 'crawl 的未知字段 "speed"：只允许 max_pages、max_depth、delay、concurrency（站点 a）'),
    ]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ("{max_pages: 1.5}", "crawl.max_pages 应为整数，实际为数字 1.5"),
        ("{max_depth: true}", "crawl.max_depth 应为整数，实际为布尔值 true"),
        ("{delay: -0.5}", "crawl.delay 应为不小于 0 的有限数，实际为 -0.5"),
        ("{delay: .inf}", "crawl.delay 应为不小于 0 的有限数"),
        ("{concurrency: 0}", "crawl.concurrency 应在 1 到 64 之间，实际为 0"),
        ("[20000, 8]", "crawl 应为映射，实际为列表"),
    ],
)
def test_bad_crawl_values(options: str, words: str) -> None:
    line, reason = one_problem(BASE + f"    crawl: {options}\n")
    assert line == 6 and words in reason, reason


def test_crawl_accepts_integer_delay_and_partial_options() -> None:
    [site] = parse_registry(BASE + "    crawl: {delay: 2, max_depth: 0}\n")
    assert site.crawl == CrawlOptions(delay=2.0, max_depth=0)
    assert isinstance(site.crawl.delay, float)


@pytest.mark.parametrize(
    ("value", "line", "words"),
    [
        ("a.gov.cn", 6, 'hosts 应为列表，实际为字符串 "a.gov.cn"'),
        ("[https://a.gov.cn/]", 6, 'hosts 的主机名 "https://a.gov.cn/" 无效'),
        ("\n      - a.gov.cn\n      - 'a.gov.cn:80'", 8, 'hosts 的主机名 "a.gov.cn:80" 无效'),
    ],
)
def test_bad_hosts(value: str, line: int, words: str) -> None:
    found = one_problem(BASE + f"    hosts: {value}\n")
    assert found[0] == line and words in found[1], found


def test_internationalised_host_names_are_accepted() -> None:
    [site] = parse_registry(BASE + "    hosts: [永州.政务]\n")
    assert site.hosts == ("永州.政务",)


def test_merge_keys_are_honoured_and_a_self_merge_is_an_error() -> None:
    text = BASE.replace("  - id: a", "  - &a\n    id: a") + indent(
        dedent("""\
            - <<: *a
              id: b
              url: https://b.gov.cn
        """),
        "  ",
    )
    [a, b] = parse_registry(text)
    assert (b.id, b.name, b.level, b.url) == ("b", a.name, "city", "https://b.gov.cn/")
    found = problems("sites:\n  - &x {id: a, <<: *x}\n")
    assert found == [(2, "别名或合并键引用了包含它自身的内容（循环引用）")]


def test_with_several_merged_mappings_the_first_wins_and_own_keys_win_over_all() -> None:
    text = dedent("""\
        sites:
          - {id: a, name: 甲, url: "https://a.gov.cn/", level: city,
             crawl: &s {max_pages: 7, delay: 1}}
          - {id: b, name: 乙, url: "https://b.gov.cn/", level: city,
             crawl: &f {max_pages: 9, max_depth: 2}}
          - id: c
            name: 丙
            url: https://c.gov.cn/
            level: city
            crawl:
              <<: [*s, *f]
              delay: 3
    """)
    assert parse_registry(text)[2].crawl == CrawlOptions(max_pages=7, max_depth=2, delay=3.0)


def test_all_errors_of_a_file_are_reported_in_line_order() -> None:
    text = dedent("""\
        sites:
          - id: a
            name: 甲市人民政府
            url: https://www.a.gov.cn/
            level: city
            parent: nowhere
          - id: B
            name: 乙
            url: www.b.gov.cn
            level: town
            colums: []
    """)
    with pytest.raises(RegistryInvalid) as info:
        parse_registry(text, "s.yaml")
    assert [(e.line, e.reason.split(" ")[0]) for e in info.value.errors] == [
        (6, "上级站点"),
        (7, "id"),
        (9, "url"),
        (10, "level"),
        (11, "未知字段"),
    ]
    assert str(info.value).startswith("s.yaml:6: 上级站点")
    assert str(info.value).endswith("（共 5 处错误）")


def test_one_bad_entry_among_good_ones_imports_nothing(tmp_path: Path) -> None:
    good = EXAMPLE.read_text(encoding="utf-8")
    bad = good.replace('    site_code: "4311000024"', "    site_code: 431100002")
    assert bad != good
    file = tmp_path / "sites.yaml"
    file.write_text(bad, encoding="utf-8")
    with pytest.raises(RegistryInvalid) as info:
        load_registry(file)
    [error] = info.value.errors
    line = good.splitlines().index('    site_code: "4311000024"') + 1
    assert error.line == line and "（站点 yongzhou）" in error.reason


# -- limits: bombs and giants fail fast, each with one line naming the limit ----------------


def _billion_laughs() -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\nsites: *l9\n"


def _merge_tower() -> str:
    lines = ["m0: &m0 {name: x, level: city}"]
    for i in range(1, 10):
        lines.append(f"m{i}: &m{i} {{<<: [" + ", ".join([f"*m{i - 1}"] * 9) + "]}")
    return "\n".join(lines) + ("\nsites:\n  - id: a\n    url: https://www.a.gov.cn/\n"
                               "    <<: *m9\n")


@pytest.mark.parametrize("text", [_billion_laughs(), _merge_tower()],
                         ids=["billion-laughs", "nested-merge-keys"])
def test_alias_and_merge_key_bombs_fail_fast(text: str) -> None:
    assert len(text.encode()) < 700
    started = time.monotonic()
    with pytest.raises(RegistryInvalid) as info:
        parse_registry(text, "bomb.yaml")
    assert time.monotonic() - started < 1.0
    message = str(info.value.errors[-1])
    assert re.fullmatch(r"bomb\.yaml:\d+: 展开别名与合并键（&、\*、<<）后内容超过 1000000 个节点的"
                        r"上限（MAX_NODES），请不要嵌套引用别名", message), message


def test_a_defaults_mapping_merged_into_every_site_is_fine() -> None:
    entries = "".join(f"  - <<: *d\n    id: s{i}\n    name: 站{i}\n    url: https://s{i}.gov.cn/\n"
                      for i in range(300))
    text = "sites:\n  - &d {id: s, name: 站, url: https://s.gov.cn/, level: county}\n" + entries
    started = time.monotonic()
    sites = parse_registry(text, "t.yaml")
    assert time.monotonic() - started < 2.0
    assert len(sites) == 301 and {s.level for s in sites} == {"county"}


def test_a_recursive_alias_is_refused() -> None:
    assert one_problem("sites: &s\n  - *s\n") == (
        1, "别名或合并键引用了包含它自身的内容（循环引用）")


def test_nesting_beyond_the_parser_is_one_error() -> None:
    assert one_problem("sites: " + "[" * 5000 + "]" * 5000 + "\n") == (
        1, "列表或映射嵌套过深（数百层），无法解析")


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    line = "  - {id: s, name: 站, url: https://s.gov.cn/, level: city}\n"
    with path.open("w", encoding="utf-8") as f:
        f.write("sites:\n")
        for _ in range(6 * 1024 * 1024 // len(line.encode()) + 1):
            f.write(line)
    started = time.monotonic()
    with pytest.raises(RegistryInvalid) as info:
        load_registry(path)
    assert time.monotonic() - started < 1.0
    (error,) = info.value.errors
    assert error.reason == "文件超过 4 MiB 的上限（MAX_FILE_BYTES），请拆分或精简"
    assert error.line is not None and 60_000 < error.line < 80_000  # where 4 MiB is crossed
    assert str(error).startswith(f"{path}:{error.line}: ")


def test_too_many_sites(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "MAX_SITES", 2)
    text = BASE + BASE.replace("sites:\n", "").replace("id: a", "id: b") \
        + BASE.replace("sites:\n", "").replace("id: a", "id: c")
    assert one_problem(text) == (10, "站点数超过 2 个的上限（MAX_SITES），请拆分为多个文件分别导入")
    monkeypatch.setattr(registry, "MAX_SITES", 3)
    assert len(parse_registry(text, "t.yaml")) == 3


def test_an_overlong_field_is_refused() -> None:
    name = "甲" * 2049
    assert one_problem(BASE.replace("甲市人民政府", name)) == (
        3, "name 长 2049 个字符，超过 2048 个字符的上限（MAX_FIELD_CHARS）（站点 a）")
    assert parse_registry(BASE.replace("甲市人民政府", "甲" * 2048), "t.yaml")[0].name == \
        "甲" * 2048


# -- contacts (the site's webmasters: govwatch.notify) -----------------------------------------


def test_contacts_are_read() -> None:
    [site] = parse_registry(more("""\
        contacts:
          - {name: 张三, email: web@a.gov.cn}
          - {webhook: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
          - {email: ops@a.gov.cn, webhook: "https://oapi.dingtalk.com/robot/send?access_token=t"}
        """))
    assert site.contacts == (
        Contact(name="张三", email="web@a.gov.cn"),
        Contact(webhook="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"),
        Contact(email="ops@a.gov.cn",
                webhook="https://oapi.dingtalk.com/robot/send?access_token=t"))
    assert SiteEntry.from_dict(site.to_dict()) == site
    assert parse_registry(BASE)[0].contacts == ()


def test_bad_contacts_name_the_site_line_and_field() -> None:
    found = problems(more("""\
        contacts:
          - {name: 张三, email: "张三 <web@a.gov.cn>"}
          - {email: web@a}
          - {webhook: "ftp://hooks.a.gov.cn/x"}
          - {webhook: "https://"}
          - {name: 只有名字}
          - {email: a@a.gov.cn, phone: "123"}
          - web@a.gov.cn
        """))
    assert found == [
        (7, 'contacts 第 1 项的 email "张三 <web@a.gov.cn>" 不是有效的电子邮件地址（应为一个地址，'
            "如 webmaster@example.gov.cn）（站点 a）"),
        (8, 'contacts 第 2 项的 email "web@a" 不是有效的电子邮件地址（应为一个地址，'
            "如 webmaster@example.gov.cn）（站点 a）"),
        (9, 'contacts 第 3 项的 webhook "ftp://hooks.a.gov.cn/x" 应以 http:// 或 https:// 开头'
            "（站点 a）"),
        (10, 'contacts 第 4 项的 webhook "https://" 缺少主机名（站点 a）'),
        (11, "contacts 第 5 项至少应有 email 或 webhook 之一（站点 a）"),
        (12, 'contacts 第 6 项的未知字段 "phone"：只允许 name、email、webhook（站点 a）'),
        (13, 'contacts 第 7 项应为映射 {name, email, webhook}，实际为字符串 "web@a.gov.cn"'
             "（站点 a）"),
    ]
    assert one_problem(more("contacts: web@a.gov.cn\n")) == (
        6, 'contacts 应为列表，实际为字符串 "web@a.gov.cn"（站点 a）')
