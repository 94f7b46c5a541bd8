"""The kinds of failure a fetch can end in, as stored in `link_results.error_kind`.

Checks decide what counts as dead from these (see checks.links); the crawler only records.
"""

from __future__ import annotations

ERROR_KINDS: dict[str, str] = {
    "timeout": "请求超时",
    "dns": "域名无法解析",
    "refused": "连接被拒绝",
    "connection": "连接中断",
    "tls": "TLS/证书错误",
    "redirect_loop": "重定向循环",
    "too_many_redirects": "重定向次数过多",
    "bad_redirect": "重定向地址无效",
    "too_large": "响应体超过大小上限",
    "robots": "robots.txt 禁止抓取",
    "invalid_url": "URL 格式错误",
    # crawler.egress_policy refused it: never requested (the public cannot reach it either).
    "private_address": "内网地址，公众无法访问",
    "other": "其他错误",
}

# Failures that say nothing about the target being broken: the link is not reported dead.
NOT_DEAD = frozenset({"too_large", "robots"})
