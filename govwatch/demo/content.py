"""Deterministic Chinese text for the demo sites: titles, bodies, names, sources.

Phrases are drawn by a `random.Random` seeded per site, so the same site always reads the
same. The pools are small but shaped like real government writing, because the extractor is
tested on real pages and should meet the same shapes here (来源 lines, 发文字号, 附件 lists).
Everything here is GBK-encodable (one site is served as GBK).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from govwatch.demo.sites import SiteSpec

COLUMN_TYPES = ("news", "notice", "policy", "personnel", "plan", "static")

# ColumnType meta values as CMSs fill them (free text, like the real pages do).
COLUMN_TYPE_LABELS = {
    "news": "政务动态",
    "notice": "通知公告",
    "policy": "政策文件",
    "personnel": "人事信息",
    "plan": "规划计划",
    "static": "机构概况",
}

_TOPICS = {
    "gov": (
        "优化营商环境",
        "安全生产",
        "乡村振兴",
        "冬春农田水利建设",
        "城市更新",
        "重点民生实事",
        "生态环境保护",
        "招商引资",
        "政务公开",
        "数字政府建设",
        "稳就业",
        "秋冬季森林防火",
        "粮食安全",
        "12345政务服务便民热线",
        "河湖长制",
        "冬季消防安全",
    ),
    "national": (
        "稳就业",
        "促消费",
        "科技创新",
        "民生保障",
        "营商环境",
        "安全生产",
        "粮食安全",
        "冬季能源保供",
        "城市更新",
        "养老服务",
        "数字政府建设",
        "防灾减灾",
    ),
    "fgw": (
        "重大项目建设",
        "价格监测",
        "节能降碳",
        "以工代赈",
        "民间投资",
        "社会信用体系建设",
        "“十五五”规划编制",
        "粮食储备",
        "冬季能源保供",
        "县域经济发展",
    ),
    "qx": (
        "气象防灾减灾",
        "寒潮天气预警",
        "人工影响天气",
        "冬季气象服务",
        "农业气象服务",
        "气象观测站网建设",
        "雷电灾害防御",
        "森林火险气象服务",
    ),
}

_NEWS = {
    "gov": (
        "{place}召开{topic}工作推进会",
        "{place}{topic}工作取得阶段性成效",
        "{org}常务会议研究部署{topic}等工作",
        "{place}开展{topic}专项督查",
        "{place}部署{topic}工作",
        "{place}{topic}现场观摩会召开",
        "前10个月{place}经济运行稳中有进",
        "{place}举行重点项目集中开工仪式",
    ),
    "national": (
        "国务院常务会议研究部署{topic}工作",
        "国务院新闻办就{topic}有关情况举行发布会",
        "国务院办公厅印发通知部署{topic}工作",
        "全国{topic}工作电视电话会议召开",
        "前10个月国民经济运行总体平稳",
        "国务院督查组赴地方开展{topic}专项督查",
    ),
    "fgw": (
        "省发展改革委召开{topic}工作调度会",
        "全省{topic}工作推进情况通报",
        "全省{topic}工作现场会召开",
        "省发展改革委部署{topic}工作",
    ),
    "qx": (
        "省气象局部署{topic}工作",
        "全省{topic}工作会议召开",
        "省气象局开展{topic}专项检查",
        "{topic}工作取得新进展",
    ),
}

_NOTICE = (
    "关于做好{topic}工作的通知",
    "关于开展{topic}专项检查的通知",
    "关于公开征求《{place}{topic}实施办法（征求意见稿）》意见的公告",
    "关于做好2026年岁末年初{topic}工作的通知",
    "关于2027年元旦春节期间有关工作安排的通知",
    "关于{topic}工作情况的通报",
)

_POLICY = (
    "{org}关于印发《{place}{topic}三年行动方案（2026—2028年）》的通知",
    "{office}关于推进{topic}的实施意见",
    "{org}关于进一步加强{topic}工作的意见",
    "{office}关于印发《{place}{topic}若干措施》的通知",
    "{org}关于印发《{place}{topic}管理办法》的通知",
)

_PERSONNEL = (
    "{org}关于{name}等同志职务任免的通知",
    "{place}2026年公开招聘事业单位工作人员拟聘用人员名单公示",
    "{org}关于{name}同志任职的通知",
    "{place}2026年公开遴选公务员拟遴选人员公示",
)

_PLAN = (
    "{place}2026年国民经济和社会发展计划执行情况",
    "{place}“十五五”{topic}专项规划编制工作方案",
    "{place}2026年政府工作报告重点工作分解方案",
    "{place}2027年重点民生实事项目征集工作方案",
)

_SURNAMES = "张王李刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
_GIVEN = (
    "志强",
    "建华",
    "丽娟",
    "海涛",
    "晓明",
    "文斌",
    "国庆",
    "秀英",
    "卫东",
    "红梅",
    "振宇",
    "春燕",
    "立新",
    "湘平",
    "德胜",
    "亚军",
)
_POSTS = (
    "办公室副主任",
    "发展和改革局局长",
    "财政局副局长",
    "教育局局长",
    "农业农村局副局长",
    "住房和城乡建设局局长",
    "市场监督管理局副局长",
)

_OPENINGS = {
    "news": (
        "近日，{place}召开{topic}工作推进会，总结前一阶段工作，分析当前形势，部署下一步重点任务。",
        "{date}，{place}组织召开专题会议，听取{topic}工作情况汇报，研究解决存在的困难和问题。",
        "为深入推进{topic}工作，{place}于{date}组织开展现场调研，实地察看项目建设和工作推进情况。",
    ),
    "notice": (
        "各有关单位：\n为切实做好{topic}工作，根据上级有关工作部署，结合实际，现将有关事项通知如下。",
        "各有关单位、社会各界：\n为进一步规范{topic}相关工作，广泛听取社会各界意见建议，现予以公告。",
    ),
    "policy": (
        "各有关单位：\n《{doc}》已经{org}同意，现印发给你们，请结合实际认真贯彻执行。",
        "各有关单位：\n为深入贯彻落实党中央、国务院决策部署，推进{topic}工作高质量发展，经{org}同意，"
        "现提出如下意见。",
    ),
    "personnel": (
        "经{org}研究决定：\n任命{name}为{post}；\n免去{name2}的{post2}职务。",
        "根据有关规定，经考试、考察、体检等程序，现将拟聘用人员名单予以公示。公示期为5个工作日。",
    ),
    "plan": (
        "为全面贯彻落实党中央、国务院决策部署，扎实做好{topic}各项工作，结合{place}实际，制定本方案。",
        "2026年是“十五五”开局之年。{place}坚持稳中求进工作总基调，统筹推进{topic}等各项工作。",
    ),
    "static": (
        "根据机构改革方案，{org}负责贯彻执行党和国家的方针政策及法律法规，研究拟订有关发展规划和政策措施，"
        "并组织实施。",
    ),
}

_MEETING = (
    "会议指出，{topic}事关经济社会发展大局和人民群众切身利益。各级各部门要提高政治站位，压紧压实责任，"
    "以钉钉子精神抓好各项工作落实。",
    "会议强调，要坚持问题导向，聚焦重点领域和薄弱环节，建立健全常态化工作机制，确保各项任务按时保质完成。"
    "要加强统筹协调，形成工作合力，及时研究解决推进过程中遇到的困难和问题。",
    "今年以来，全{level}累计完成{topic}相关投资{num}亿元，同比增长{pct}%，各项指标总体符合预期。",
    "下一步，{place}将持续深化{topic}各项工作，加强政策宣传解读，积极回应社会关切，"
    "不断提升人民群众的获得感、幸福感、安全感。",
)
_ITEMS = (
    "一、提高思想认识。各单位要充分认识做好{topic}工作的重要意义，主要负责同志要亲自研究部署，"
    "分管负责同志要具体抓好落实。",
    "二、突出工作重点。围绕群众反映强烈的突出问题，细化工作措施，明确责任分工和完成时限，"
    "做到任务清单化、责任具体化。",
    "三、强化督促检查。将{topic}工作纳入年度绩效考核，对工作推进不力、问题整改不到位的单位予以通报。",
    "四、加强信息报送。各单位要严格落实信息报送制度，于每月5日前将工作进展情况报送牵头部门，"
    "重大情况随时报告。",
)
_PLAN_ITEMS = (
    "今年以来，全{level}累计完成{topic}相关投资{num}亿元，同比增长{pct}%，各项指标总体符合预期。",
    "主要目标：到2028年，{topic}工作体制机制更加完善，重点任务全面完成，群众满意度持续提升。",
    "保障措施：加强组织领导，强化要素保障，健全监测评估机制，确保各项目标任务落到实处。",
)
_MIDDLES = {
    "news": _MEETING,
    "notice": _ITEMS,
    "policy": _ITEMS,
    "personnel": (),
    "plan": _PLAN_ITEMS,
}

_CLOSINGS = {
    "news": ("{place}有关部门负责同志参加会议。", "相关单位负责同志陪同调研。"),
    "notice": ("特此通知。", "联系电话：0731-{phone}。", "特此公告。"),
    "policy": ("本意见自印发之日起施行。", "请各单位认真贯彻执行，执行中遇到的问题请及时反馈。"),
    "personnel": ("公示期间如有异议，请向{office}反映。联系电话：0731-{phone}。",),
    "plan": ("各责任单位要对照分工抓好落实，确保各项目标任务如期完成。",),
    "static": ("办公地址：{place}行政中心。联系电话：0731-{phone}。",),
}

# The long body of the national portal's article about website monitoring: it mentions
# "404" pages several times and must not be taken for a "not found" page.
MONITORING_TITLE = "国务院办公厅关于开展2026年第四季度政府网站常态化监测工作的通知"
_MONITORING_BODY = (
    "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：",
    "为进一步提升政府网站规范化建设和管理水平，根据《政府网站发展指引》和《政府网站与政务新媒体检查指标》"
    "有关要求，国务院办公厅决定开展2026年第四季度政府网站常态化监测工作。现将有关事项通知如下。",
    "一、监测范围。监测范围为各地区、各部门开设的政府门户网站和部门网站，包括集约化平台上运行的各级"
    "政府网站。各地区、各部门要于本季度末前完成自查，及时更新全国政府网站信息报送系统中的网站基本信息，"
    "确保网站名称、网站标识码、主办单位、ICP备案编号等信息准确一致。",
    "二、监测内容。重点监测网站可用性、信息更新情况、互动回应情况和服务实用情况。其中，可用性监测包括"
    "首页可用性和链接可用性：监测中发现的“404”错误页面、无法访问的链接、空白栏目和长期未更新栏目，"
    "将逐条列出并反馈相关地区和部门。对链接返回“404”或者页面提示错误信息的，各网站主办单位要在收到"
    "反馈后5个工作日内完成整改；确需下线的页面，要按规定做好归档处理，不得简单删除导致出现“404”错误。",
    "三、整改要求。各地区、各部门要建立健全网站日常巡检机制，综合运用技术手段和人工巡查，定期排查错链、"
    "断链和“404”页面，及时修复首页及重要栏目的不可用链接。对监测发现的问题，要举一反三，既要整改具体"
    "问题，也要查找管理漏洞，完善内容保障、审核发布、应急处置等制度。对整改不到位、问题反复出现的网站，"
    "将在季度通报中予以点名。",
    "四、信息报送。各省级人民政府办公厅和国务院各部门办公厅（室）要于每季度最后一个月的15日前，通过全国"
    "政府网站信息报送系统报送本地区、本部门网站监测和整改情况，包括发现问题数量、已整改数量、未整改原因"
    "及下一步工作安排等内容。报送材料要数据真实、内容完整，不得漏报、瞒报。",
    "五、组织保障。各地区、各部门要高度重视政府网站常态化监测工作，明确分管负责同志和具体承办人员，"
    "加强与网站技术支撑单位的沟通协作，确保监测发现的问题整改到位。要将政府网站建设管理情况纳入年度"
    "绩效考核，压实主体责任，推动政府网站成为更加全面的政务公开平台、更加权威的政策发布解读和舆论引导"
    "平台、更加及时的回应关切和便民服务平台。",
    "六、其他事项。监测工作中如遇技术问题，请与国务院办公厅政府信息与政务公开办公室联系。各地区、各部门"
    "在工作中形成的好经验好做法，请及时总结报送，国务院办公厅将适时组织交流推广。",
    "附件：政府网站常态化监测要点",
    "（一）首页可用性。监测期间每日对首页进行多次访问，首页无法访问、打开时间过长或者内容为空的，"
    "均记为不可用。首页不可用累计次数超过监测总次数5%的，视为单项否决。",
    "（二）链接可用性。对首页和栏目页上的链接逐一进行访问测试，包括文字链接、图片链接、附件链接以及"
    "指向其他网站的外部链接。链接返回“404”状态、服务器内部错误、访问超时、域名无法解析或者跳转后"
    "出现错误页面的，均记为不可用链接。对于虽然返回正常状态、但页面内容提示信息不存在的，同样记为"
    "不可用链接。",
    "（三）信息更新情况。动态要闻类栏目2周内未更新、通知公告和政策文件类栏目6个月内未更新、人事规划"
    "类栏目1年内未更新的，均记为长期未更新栏目；栏目内容为空或者仅有“正在建设中”等提示的，记为空白"
    "栏目。已归档的栏目和页面，应当在显著位置标注“已归档”字样和归档时间。",
    "（四）网站标识信息。网站页面底部应当规范展示党政机关网站标识、政府网站标识码、ICP备案编号和"
    "公安机关备案号，标识信息应当与全国政府网站信息报送系统中的登记信息一致。",
    "（五）互动回应情况。政务咨询类栏目应当对公众留言及时答复，超过3个月未回应的，记为互动回应不到位；"
    "领导信箱、咨询投诉等互动渠道应当保持畅通，不得出现无法提交、提交后无反馈等情况。对于公众集中反映的"
    "热点问题，应当及时发布权威信息，加强政策解读，主动回应社会关切。",
    "（六）办事服务情况。办事指南应当准确完整，包括事项名称、设定依据、申请条件、办理材料、办理地点、"
    "办理机构、收费标准、办理时间、联系电话和办理流程等要素。办事指南要素缺失较多、办理链接无法打开"
    "或者跳转后出现错误页面的，记为办事服务不实用。各地区、各部门要对照监测要点开展自查，发现问题"
    "立行立改，确保政府网站规范、实用、好用。",
    "国务院办公厅",
    "2026年11月",
)


@dataclass(frozen=True, slots=True)
class Body:
    paragraphs: tuple[str, ...]


def level_word(site: SiteSpec) -> str:
    return {"national": "国", "province": "省", "city": "市", "county": "县", "department": "省"}[
        site.level
    ]


def office(site: SiteSpec) -> str:
    """The 办公厅/办公室 that signs the site's notices."""
    return site.sponsor if site.kind == "portal" else f"{site.org}办公室"


def column_names(site: SiteSpec) -> dict[str, str]:
    news = {
        "national": "要闻",
        "province": "政务动态",
        "city": "政务要闻",
        "county": "工作动态",
        "department": "工作动态",
    }[site.level]
    return {
        "news": news,
        "notice": "通知公告",
        "policy": "政策文件",
        "personnel": "人事信息",
        "plan": "规划计划",
        "static": "机构概况",
    }


STATIC_TITLES = ("机构职能", "领导信息", "内设机构")


class Writer:
    """Text for one site. Each call consumes the site's random stream in a fixed order."""

    def __init__(self, site: SiteSpec, rng: random.Random) -> None:
        self.site = site
        self.rng = rng
        self.topic = _TOPICS[site.topics][0]  # one topic per article: set by title()

    def _fill(self, template: str, **extra: str) -> str:
        site = self.site
        values = {
            "place": site.place,
            "org": site.org,
            "office": office(site),
            "topic": self.topic,
            "name": self.person(),
            "name2": self.person(),
            "post": self.rng.choice(_POSTS),
            "post2": self.rng.choice(_POSTS),
            "level": level_word(site),
            "num": str(self.rng.randint(12, 480)),
            "pct": f"{self.rng.randint(21, 149) / 10:.1f}",
            "phone": f"{self.rng.randint(20000000, 89999999)}",
            "date": "",
        }
        values.update(extra)
        return template.format(**values)

    def person(self) -> str:
        return self.rng.choice(_SURNAMES) + self.rng.choice(_GIVEN)

    def title(self, column: str) -> str:
        self.topic = self.rng.choice(_TOPICS[self.site.topics])
        pools = {
            "news": _NEWS[self.site.topics if self.site.topics in _NEWS else "gov"],
            "notice": _NOTICE,
            "policy": _POLICY,
            "personnel": _PERSONNEL,
            "plan": _PLAN,
        }
        return self._fill(self.rng.choice(pools[column]))

    def source(self, column: str) -> str:
        site = self.site
        if site.level == "national":
            return (
                self.rng.choice(("新华社", "国务院办公厅", "人民日报"))
                if column == "news"
                else "国务院办公厅"
            )
        if column == "news":
            pool = {
                "province": ("湖南日报", "省政府新闻办", office(site)),
                "city": (f"{site.place}融媒体中心", office(site)),
                "county": (f"{site.place}融媒体中心", office(site)),
                "department": ("办公室", site.org),
            }[site.level]
            return self.rng.choice(pool)
        return office(site)

    def body(self, column: str, title: str, when: datetime) -> Body:
        date = f"{when.year}年{when.month}月{when.day}日"
        doc = title.split("《", 1)[1].split("》", 1)[0] if "《" in title else title
        paragraphs = [self._fill(self.rng.choice(_OPENINGS[column]), date=date, doc=doc)]
        pool = _MIDDLES[column]
        count = min(len(pool), self.rng.randint(2, 4))
        picks = self.rng.sample(range(len(pool)), count)
        paragraphs += [self._fill(pool[i]) for i in sorted(picks)]
        paragraphs.append(self._fill(self.rng.choice(_CLOSINGS[column])))
        if column in ("notice", "policy"):
            paragraphs += [office(self.site), date]
        lines: list[str] = []
        for paragraph in paragraphs:
            lines += paragraph.split("\n")
        return Body(tuple(lines))

    def static_body(self, title: str) -> Body:
        first = self._fill(_OPENINGS["static"][0])
        if title == "领导信息":
            rows = [
                f"{self.person()}　{role}"
                for role in ("主要负责同志", "副职负责同志", "副职负责同志", "副职负责同志")
            ]
            return Body((first, *rows))
        if title == "内设机构":
            units = ("办公室", "政策法规科", "综合协调科", "督查考评科", "信息化管理科")
            return Body((first, *[f"{unit}：负责有关具体工作。" for unit in units]))
        return Body((first, self._fill(_MEETING[3]), self._fill(_CLOSINGS["static"][0])))


def monitoring_body() -> Body:
    return Body(_MONITORING_BODY)
