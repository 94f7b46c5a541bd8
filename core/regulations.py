"""The regulations govwatch knows: title, 文号, issuing body, date and the region each binds.

Checks cite them by key (checks.regulations renders the citations); the settings name them
when a supervising authority adopts a local one (`[regulations] adopt`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Regulation:
    key: str  # stable short key used in rule references and the settings
    title: str  # without 《》
    number: str  # 文号, "" when the published text shows none
    issuer: str  # 发文机关
    date: str  # 印发日期 (YYYY-MM-DD), or the year when only that is known
    region: str  # "" = national (binds every site); else the region it binds
    short: str  # how this project's docs and docstrings abbreviate it

    @property
    def national(self) -> bool:
        return not self.region

    @property
    def name(self) -> str:
        return f"《{self.title}》"


# The documents, national first. Titles, 文号, issuers and dates as printed in the published
# texts (the local ones from the texts kept with the project's specification).
REGULATIONS: Mapping[str, Regulation] = {
    r.key: r
    for r in (
        Regulation("zhiyin-2017", "政府网站发展指引", "国办发〔2017〕47号", "国务院办公厅",
                   "2017-05-15", "", "发展指引"),
        Regulation("zhibiao-2019", "政府网站与政务新媒体检查指标", "国办秘函〔2019〕19号",
                   "国务院办公厅秘书局", "2019-04-18", "", "检查指标"),
        Regulation("pucha-2015", "全国政府网站普查评分表", "国办发〔2015〕15号 附件",
                   "国务院办公厅", "2015-03-24", "", "2015评分表"),
        Regulation("dezhou-2013", "德州市政府网站管理办法", "", "德州市人民政府办公室",
                   "2013-11-25", "山东省德州市", "德州办法"),
        Regulation("yongzhou-2021", "永州市政府网站建设管理办法", "",
                   "永州市政务公开政务服务领导小组办公室", "2021-09-08", "湖南省永州市",
                   "永州办法"),
        Regulation("shanxi-2018", "山西省政府网站管理办法", "晋政办发〔2018〕91号",
                   "山西省人民政府办公厅", "2018-09-08", "山西省", "山西办法"),
        Regulation("guiyang-2018", "贵阳市人民政府办公厅关于贯彻落实〈政府网站发展指引〉的实施意见",
                   "筑府办发〔2018〕2号", "贵阳市人民政府办公厅", "2018", "贵州省贵阳市",
                   "贵阳实施意见"),
        Regulation("dongcheng-2014", "东城区数字东城网站管理办法", "东政发〔2014〕35号",
                   "北京市东城区人民政府", "2014-07-30", "北京市东城区",
                   "东城办法"),
    )
}
NATIONAL: frozenset[str] = frozenset(k for k, r in REGULATIONS.items() if r.national)
