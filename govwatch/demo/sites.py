"""The demo world's cast: ten registered sites, the hosts around them, and what is planted.

Everything the generator plants is declared here as data, so that `world.py` can both render
it and derive `expected.json` from the same declarations (never hand-typed findings).

Identity faults: each site carries exactly one (`SiteSpec.fault`), so every identity check has
one positive site and nine negative ones. Dead links (`PLANTS`) and healthy near-misses
(`NEAR_MISSES`) are placed on named pages through a small selector language (see `Placement`).
"""

from __future__ import annotations

from dataclasses import dataclass

# Identity faults a site can carry (one each); see world._footer_model for their effect.
FAULTS = (
    "jiucuo-wrong",  # the 找错 entry names another site's code
    "police-mismatch",  # beian.gov.cn recordcode differs from the printed 公网安备 number
    "icp-missing",  # no ICP 备案编号 in the footer
    "conac-missing",  # no 党政机关网站标识
    "site-code-meta-only",  # 网站标识码 only in <meta name="SiteIDCode">, not in the footer
    "meta-tags",  # template fault: no SiteName/SiteDomain/SiteIDCode meta on any page
    "site-code-mismatch",  # the footer's 网站标识码 differs from the registry
    "jiucuo-missing",  # no 找错 entry at all
    "name-missing",  # registered full name absent from header, logo, SiteName and <title>
    "police-missing",  # no 公网安备 number at all
)

STYLES = ("trs", "hanweb", "simple")
# How a host answers a path it does not have.
UNKNOWN_MODES = ("404", "soft404-text", "generic")


@dataclass(frozen=True, slots=True)
class SiteSpec:
    id: str
    name: str  # registered full name (sites.yaml `name`)
    host: str
    level: str
    kind: str
    parent: str | None
    site_code: str  # as registered
    icp: str  # as registered and (unless the fault says otherwise) displayed
    police: str  # 14-digit 公网安备 number
    style: str  # CMS look: trs | hanweb | simple
    fault: str
    place: str  # how the text names the area or body: 长沙市, 省发展改革委
    org: str  # how the text names the publishing organisation
    sponsor: str  # 主办单位 in the footer
    operator: str  # 承办/运维单位 in the footer
    charset: str = "utf-8"  # "gbk": served as GBK, declared gb2312 in the page
    unknown: str = "404"  # see UNKNOWN_MODES
    list_date: str = "iso"  # list date format: iso | cn | bracket | slash
    header_name: str = ""  # what header/title show; defaults to `name`
    topics: str = "gov"  # topic pool: gov | national | fgw | qx
    id_base: int = 1000  # first article number (TRS/simple ids, Hanweb art ids)
    col_base: int = 1000  # first Hanweb column id
    # HTTPS (see govwatch.demo.tls): "" none (plain HTTP only), else the certificate's mode;
    # a site with HTTPS is registered and linked as https:// (and still answers on http://).
    tls: str = ""

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}/"

    @property
    def shown_name(self) -> str:
        return self.header_name or self.name

    @property
    def province(self) -> str:
        """Province abbreviation of the ICP and 公网安备 numbers."""
        return self.icp[0]


SITES: tuple[SiteSpec, ...] = (
    SiteSpec(
        id="govcn",
        name="中华人民共和国中央人民政府",
        host="www.govcn-demo.gov.cn",
        level="national",
        kind="portal",
        parent=None,
        site_code="bm01000001",
        icp="京ICP备05070281号",
        police="11010202000081",
        style="trs",
        fault="jiucuo-wrong",
        place="国务院",
        org="国务院办公厅",
        sponsor="国务院办公厅",
        operator="中国政府网运行中心",
        topics="national",
        id_base=5470100,
    ),
    SiteSpec(
        id="hunan",
        name="湖南省人民政府",
        host="www.hunan-demo.gov.cn",
        level="province",
        kind="portal",
        parent="govcn",
        site_code="4300000001",
        icp="湘ICP备05000001号",
        police="43010202000123",
        style="trs",
        fault="police-mismatch",
        place="湖南省",
        org="湖南省人民政府",
        sponsor="湖南省人民政府办公厅",
        operator="湖南省电子政务服务中心",
        id_base=3102200,
    ),
    SiteSpec(
        id="hnfgw",
        name="湖南省发展和改革委员会",
        host="fgw.hunan-demo.gov.cn",
        level="department",
        kind="department",
        parent="hunan",
        site_code="4300000010",
        icp="湘ICP备05000010号",
        police="43010202000210",
        style="trs",
        fault="icp-missing",
        place="省发展改革委",
        org="湖南省发展和改革委员会",
        sponsor="湖南省发展和改革委员会",
        operator="湖南省发展和改革委员会信息中心",
        topics="fgw",
        id_base=2031500,
        tls="valid",
    ),
    SiteSpec(
        id="hnqx",
        name="湖南省气象局",
        host="www.hnqx-demo.org.cn",
        level="department",
        kind="department",
        parent="hunan",
        site_code="4300000037",
        icp="湘ICP备12000037号-1",
        police="43010302000137",
        style="simple",
        fault="conac-missing",
        place="省气象局",
        org="湖南省气象局",
        sponsor="湖南省气象局",
        operator="湖南省气象信息中心",
        unknown="generic",
        list_date="cn",
        topics="qx",
        id_base=88410,
        tls="wrong-host",
    ),
    SiteSpec(
        id="changsha",
        name="长沙市人民政府",
        host="www.changsha-demo.gov.cn",
        level="city",
        kind="portal",
        parent="hunan",
        site_code="4301000001",
        icp="湘ICP备05010001号",
        police="43010202000301",
        style="hanweb",
        fault="site-code-meta-only",
        place="长沙市",
        org="长沙市人民政府",
        sponsor="长沙市人民政府办公厅",
        operator="长沙市数据资源管理局",
        list_date="bracket",
        id_base=11270400,
        col_base=19090,
    ),
    SiteSpec(
        id="zhuzhou",
        name="株洲市人民政府",
        host="www.zhuzhou-demo.gov.cn",
        level="city",
        kind="portal",
        parent="hunan",
        site_code="4302000001",
        icp="湘ICP备05020001号",
        police="43020202000401",
        style="simple",
        fault="meta-tags",
        place="株洲市",
        org="株洲市人民政府",
        sponsor="株洲市人民政府办公室",
        operator="株洲市大数据中心",
        list_date="cn",
        id_base=471200,
    ),
    SiteSpec(
        id="yongzhou",
        name="永州市人民政府",
        host="www.yongzhou-demo.gov.cn",
        level="city",
        kind="portal",
        parent="hunan",
        site_code="4311000024",
        icp="湘ICP备05009375号",
        police="43110202000501",
        style="hanweb",
        fault="site-code-mismatch",
        place="永州市",
        org="永州市人民政府",
        sponsor="永州市人民政府办公室",
        operator="永州市政务服务和大数据中心",
        id_base=10553100,
        col_base=7341,
    ),
    SiteSpec(
        id="liuyang",
        name="浏阳市人民政府",
        host="www.liuyang-demo.gov.cn",
        level="county",
        kind="portal",
        parent="changsha",
        site_code="4301810001",
        icp="湘ICP备05010181号-2",
        police="43018102000601",
        style="hanweb",
        fault="jiucuo-missing",
        place="浏阳市",
        org="浏阳市人民政府",
        sponsor="浏阳市人民政府办公室",
        operator="浏阳市融媒体中心",
        list_date="bracket",
        id_base=8812300,
        col_base=4520,
    ),
    SiteSpec(
        id="liling",
        name="醴陵市人民政府",
        host="www.liling-demo.gov.cn",
        level="county",
        kind="portal",
        parent="zhuzhou",
        site_code="4302810001",
        icp="湘ICP备05020281号",
        police="43028102000701",
        style="simple",
        fault="name-missing",
        place="醴陵市",
        # The site calls itself by a portal brand and its body text says "市政府": the
        # registered name 醴陵市人民政府 appears nowhere on it.
        org="醴陵市政府",
        sponsor="醴陵市政府办公室",
        operator="醴陵市大数据中心",
        unknown="soft404-text",
        header_name="醴陵政务网",
        id_base=301500,
        tls="expiring",
    ),
    SiteSpec(
        id="jianghua",
        name="江华瑶族自治县人民政府",
        host="www.jianghua-demo.gov.cn",
        level="county",
        kind="portal",
        parent="yongzhou",
        site_code="4311290001",
        icp="湘ICP备05011129号",
        police="43112902000801",
        style="simple",
        fault="police-missing",
        place="江华瑶族自治县",
        org="江华瑶族自治县人民政府",
        sponsor="江华瑶族自治县人民政府办公室",
        operator="江华瑶族自治县政务服务中心",
        charset="gbk",
        list_date="slash",
        id_base=56700,
        tls="valid",
    ),
)

SITE_BY_ID = {site.id: site for site in SITES}

# Third-party hosts the footers link to (ICP and police registries, the conac badge, the
# 找错 platform): served too, so that every footer link resolves offline.
SERVICE_HOSTS = (
    "beian.miit.gov.cn",
    "bszs.conac.cn",
    "dcs.conac.cn",
    "www.beian.gov.cn",
    "zfwzgl.www.gov.cn",
    "cpro.baidustatic.com",  # an ad network's script host (content.commercial-ads)
)

# Mapped by the crawler to a closed port (connection refused).
REFUSED_HOST = "old.yongzhou-demo.gov.cn"
# RFC 6761: .invalid never resolves.
DNS_FAIL_HOST = "www.zzgjj-demo.invalid"

JIUCUO_WRONG_CODE = "bm01000010"  # govcn's 找错 entry (registered bm01000001)
POLICE_WRONG_RECORDCODE = "43010202000132"  # hunan's beian link (printed 43010202000123)
FOOTER_WRONG_SITE_CODE = "4311000042"  # yongzhou's footer (registered 4311000024)

HANG_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Placement:
    """A link put on one named page.

    `page` selects the page on site `site`: "home"; "list:<column>" (first list page) or
    "list:<column>:<n>" (n-th list page, 1-based); "article:<column>:<i>" (i-th article of the
    column, newest first, 0-based); "static:<i>" (i-th page of the 机构概况 column).
    `href` is written as is (root-relative or absolute); `kind` says where it goes:
    a | img | css | js | attachment.
    """

    site: str
    page: str
    href: str
    kind: str = "a"
    text: str = ""


@dataclass(frozen=True, slots=True)
class Plant:
    """A dead link target and every place it is linked from."""

    target: str  # absolute URL, exactly as the crawler will see it after resolving
    reason: str  # key of DEAD_REASONS
    where: tuple[Placement, ...]


DEAD_REASONS = {
    "http-404": "HTTP 404",
    "http-500": "HTTP 500",
    "refused": "connection refused (host mapped to a closed port)",
    "dns": "DNS failure (.invalid host)",
    "timeout": "server accepts and never answers",
    "soft404-text": "200 whose page says 页面不存在",
    "soft404-likeness": "200 with the host's generic answer to unknown URLs",
    "redirect-loop": "redirect loop a -> b -> a",
    "redirect-404": "redirect into a 404",
    "image-404": "image answering 404",
    "attachment-404": "attachment (.pdf) answering 404",
    "stylesheet-404": "stylesheet answering 404",
    "script-404": "script answering 404",
}

_OLD_POLICY = "http://www.hunan-demo.gov.cn/zcwj/201911/t20191101_2895411.html"
_OLD_POLICY_TEXT = "湖南省人民政府关于印发《湖南省政府网站集约化建设实施方案》的通知"

# The home-page 市长信箱 entry of a site with no other consultation channel: dead, so the site
# has no working channel (interaction.unanswered) besides the dead home link.
CHANNEL_DEAD = ("zhuzhou", "http://www.zhuzhou-demo.gov.cn/hdjl/szxx/", "市长信箱")

PLANTS: tuple[Plant, ...] = (
    # One 404 target linked from two different sites.
    Plant(
        _OLD_POLICY,
        "http-404",
        (
            Placement("hunan", "article:policy:1", _OLD_POLICY, text=_OLD_POLICY_TEXT),
            Placement("changsha", "article:policy:0", _OLD_POLICY, text=_OLD_POLICY_TEXT),
        ),
    ),
    Plant(
        CHANNEL_DEAD[1],
        "http-404",
        (Placement(CHANNEL_DEAD[0], "home", "/hdjl/szxx/", text=CHANNEL_DEAD[2]),),
    ),
    Plant(
        "http://www.govcn-demo.gov.cn/zhuanti/2019qglh/",
        "http-404",
        (Placement("govcn", "home", "/zhuanti/2019qglh/", text="2019全国两会专题"),),
    ),
    Plant(
        "http://www.changsha-demo.gov.cn/hdjl/zxft/index.jsp",
        "http-500",
        (Placement("changsha", "home", "/hdjl/zxft/index.jsp", text="在线访谈"),),
    ),
    Plant(
        f"http://{REFUSED_HOST}/",
        "refused",
        (Placement("yongzhou", "home", f"http://{REFUSED_HOST}/", text="永州市政府网（旧版）"),),
    ),
    Plant(
        f"http://{DNS_FAIL_HOST}/",
        "dns",
        (
            Placement(
                "zhuzhou",
                "list:notice",
                f"http://{DNS_FAIL_HOST}/",
                text="株洲市住房公积金管理中心",
            ),
        ),
    ),
    Plant(
        "http://www.liuyang-demo.gov.cn/wsbs/bjcx.jsp",
        "timeout",
        (Placement("liuyang", "article:news:2", "/wsbs/bjcx.jsp", text="办件进度查询"),),
    ),
    # Unknown path on the host whose unknown paths answer 200 + 页面不存在.
    Plant(
        "https://www.liling-demo.gov.cn/zwgk/tzgg/show.jsp",
        "soft404-text",
        (
            Placement(
                "liling",
                "article:notice:1",
                "/zwgk/tzgg/show.jsp",
                text="醴陵市2019年度政府信息公开工作年度报告",
            ),
        ),
    ),
    # Unknown path on the host whose unknown paths answer 200 with one generic page.
    Plant(
        "https://www.hnqx-demo.org.cn/qxfw/ybcp.aspx",
        "soft404-likeness",
        (Placement("hnqx", "article:news:1", "/qxfw/ybcp.aspx", text="天气预报产品查询"),),
    ),
    Plant(
        "http://www.govcn-demo.gov.cn/fuwu/bmfw/index.htm",
        "redirect-loop",
        (Placement("govcn", "article:news:3", "/fuwu/bmfw/index.htm", text="便民服务"),),
    ),
    Plant(
        "https://fgw.hunan-demo.gov.cn/xxgk/ghjh/2020/",
        "redirect-404",
        (Placement("hnfgw", "home", "/xxgk/ghjh/2020/", text="“十三五”规划专栏"),),
    ),
    Plant(
        "http://www.yongzhou-demo.gov.cn/picture/0/2611181030112.jpg",
        "image-404",
        (Placement("yongzhou", "article:news:0", "/picture/0/2611181030112.jpg", kind="img"),),
    ),
    # One dead target linked from three pages of the same site.
    Plant(
        "http://www.changsha-demo.gov.cn/attach/0/2019xxgknb.pdf",
        "attachment-404",
        (
            Placement(
                "changsha",
                "article:notice:0",
                "/attach/0/2019xxgknb.pdf",
                kind="attachment",
                text="2019年政府信息公开工作年度报告.pdf",
            ),
            Placement(
                "changsha",
                "article:notice:1",
                "/attach/0/2019xxgknb.pdf",
                kind="attachment",
                text="2019年政府信息公开工作年度报告.pdf",
            ),
            Placement(
                "changsha",
                "article:policy:1",
                "/attach/0/2019xxgknb.pdf",
                kind="attachment",
                text="2019年政府信息公开工作年度报告.pdf",
            ),
        ),
    ),
    Plant(
        "https://www.jianghua-demo.gov.cn/css/skin2018.css",
        "stylesheet-404",
        (Placement("jianghua", "home", "/css/skin2018.css", kind="css"),),
    ),
    Plant(
        "http://www.hunan-demo.gov.cn/js/jquery.SuperSlide.2.1.js",
        "script-404",
        (Placement("hunan", "article:news:4", "/js/jquery.SuperSlide.2.1.js", kind="js"),),
    ),
)


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A link that looks suspicious but works: it must never be reported."""

    target: str
    what: str
    where: tuple[Placement, ...]


HEAD405_URL = "http://www.changsha-demo.gov.cn/attach/0/P020261110578921.doc"
HEAD403_URL = "http://www.liuyang-demo.gov.cn/zwfw/index.html"
RATE_LIMITED_URL = "http://www.hunan-demo.gov.cn/sjfb/tjsj.html"

# Targets filled in by world.py where they depend on generated paths ("{...}" placeholders).
NEAR_MISSES: tuple[NearMiss, ...] = (
    NearMiss(
        "{hunan:moved}",
        "301 to a 200 page",
        (Placement("hunan", "article:policy:2", "{hunan:moved}", text="（旧链接）"),),
    ),
    NearMiss(
        RATE_LIMITED_URL,
        "429 Retry-After: 1 once, then 200",
        (
            # Deep (an old plan article): the crawler slows the host down after a 429, so the
            # later it is met, the less of the crawl it slows.
            Placement("hunan", "article:plan:1", "/sjfb/tjsj.html", text="统计数据发布"),
        ),
    ),
    NearMiss(
        HEAD405_URL,
        "HEAD 405, GET 200",
        (
            Placement(
                "changsha",
                "article:policy:2",
                "/attach/0/P020261110578921.doc",
                kind="attachment",
                text="长沙市2026年重点建设项目计划表.doc",
            ),
        ),
    ),
    NearMiss(
        HEAD403_URL,
        "HEAD 403 (bot filter), GET 200",
        (Placement("govcn", "article:news:0", HEAD403_URL, text="浏阳市政务服务"),),
    ),
    NearMiss(
        "{changsha:article:news:0}",
        "external link to another demo site",
        (
            Placement(
                "hunan", "article:news:2", "{changsha:article:news:0}", text="长沙市相关工作动态"
            ),
        ),
    ),
    NearMiss("{govcn:article:notice:1}", "long article that mentions 404", ()),
)

# The article whose long body talks about "404" pages (a says-not-found near-miss).
MENTIONS_404 = ("govcn", "notice", 1)
# The GBK site's article naming someone with a character outside GB2312 (喆).
GBK_ONLY_NAME = ("jianghua", "personnel", 0)
