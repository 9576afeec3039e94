"""Is an address on a line the offending source or a victim (target)? Decided by cue words.

Cues, strongest first: log keys (``SRC=``, ``DST=``, ``rhost=``, Windows "Source Network
Address:"), Japanese postpositions right after the address (``から`` source, ``に対して``
/ ``へ`` target), the nearest English/Japanese cue word before it ("from", "by",
"your host" -> source; "to", "our server", "弊社", "宛先" -> target), the syslog host
field (the reporter's own machine). Without a cue the address is taken as a source
with a low confidence, and the reason says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from abusebox.core.models import Role
from abusebox.parsing.text import digit_shape, digits_as_zero

_BEFORE_WINDOW = 60
_AFTER_WINDOW = 24


@dataclass(frozen=True)
class RoleGuess:
    role: Role
    confidence: float
    reason: str
    cued: bool = True
    # What the cue said beyond the role, for the report-wide pass (rolepass.py): "infected"
    # (the bot), "c2" (the server it contacted), "ambiguous" (対象: the host concerned).
    kind: str = ""


_KEY_ADDR = r"(?:[ _-]?(?:ip|host|addr|address))?(?:[ _-]?(?:address|addr))?"
_KEY_SOURCE = re.compile(
    rf"(?:\b(?:src|source|client|remote|attacker|attacking|offender|offending|reported|abusive|abuser"
    rf"|malicious|suspicious|origin|originating|sender|sending){_KEY_ADDR}"
    r"|\b(?:srcip|rhost|rip|saddr|ip_?src|source network address|calling station id)"
    # A server named by what it does wrong is the offender: "phishing host:".
    r"|\b(?:phishing|malware|botnet|spam|drop ?zone)"
    r"[ _-]?(?:server|host|site|url|node|panel)(?:[ _-]?(?:ip|addr|address))?"
    r"|(?:送信元|攻撃元|発信元|接続元|アクセス元)(?:IP)?(?:アドレス)?"
    # Korean, Chinese (simplified/traditional) source labels: 공격 IP, 攻擊來源IP, 攻击源IP.
    r"|(?:공격|유포지|공격지)\s?(?:IP)?|(?:攻擊來源|攻击来源|攻击源|攻擊源|來源|来源)(?:IP)?(?:地址|位址)?)"
    r"[\"']?[\s\u3000]{0,8}[=:：][\s\u3000]{0,16}[\"'\[(<（]?$",
    re.IGNORECASE | re.ASCII,
)
_KEY_END = r"[\"')）]?[\s\u3000]{0,8}[=:：][\s\u3000]{0,16}[\"'\[(<（]?$"
# "C2 server:" is the offender, unless the report names the infected host (rolepass.py).
_KEY_C2 = re.compile(
    r"(?:\b(?:c2|c&c|cnc|command[ -]and[ -]control)(?:[ _-]?(?:server|host|node|panel|ip|addr|address))*"
    r"|(?:C2|C&C|指令|命令)サーバ(?:の)?(?:IP)?(?:アドレス)?)" + _KEY_END,
    re.IGNORECASE,
)
# The bot itself: "Infected IP:", "感染が疑われる端末のIPアドレス".
_KEY_INFECTED = re.compile(
    r"(?:\b(?:infected|compromised|bot|drone)(?:[ _-]?(?:ip|host|device|machine|system|client|addr|address))*"
    r"|感染.{0,8}?(?:端末|ホスト|機器|PC|サーバ)(?:の)?(?:IP)?(?:アドレス)?)" + _KEY_END,
    re.IGNORECASE,
)
_KEY_TARGET = re.compile(
    rf"(?:\b(?:dst|dest|destination|target|targeted|victim|local|server|attacked|sinkhole){_KEY_ADDR}"
    r"|\b(?:dstip|daddr|ip_?dst|lip)"
    r"|(?:宛先|攻撃先|通信先|接続先|被害|対象)(?:サーバ|ホスト)?(?:IP)?(?:アドレス)?"
    r"|(?:피해|공격\s?대상)\s?(?:IP|시스템)?|(?:被攻擊目標|被攻击目标|攻擊目標|攻击目标|受害)(?:IP)?(?:地址|位址)?)"
    r"[\"']?[\s\u3000]{0,8}[=:：][\s\u3000]{0,16}[\"'\[(<（]?$",
    re.IGNORECASE | re.ASCII,
)
_AFTER_SOURCE = re.compile(r"^[\s)\]）」』>]{0,3}(?:から|より|が(?:弊|当)|による)")
_AFTER_TARGET = re.compile(
    r"^[\s)\]）」』>]{0,3}(?:に対して|に対する|への|へ|宛|向け|に向けて|を(?:攻撃|標的))"
)
_AFTER_EN_SOURCE = re.compile(
    r"^[\s)\]]{0,3}(?:has been |was |is |have been )?(?:attack\w*|scann\w*|brute[\s-]?forc\w*|prob\w*"
    r"|sending|sent|tried|attempt\w*|hitting|hammering|connect\w* to|flood\w*)\b(?!\s+by\b)",
    re.IGNORECASE | re.ASCII,
)
_AFTER_EN_TARGET = re.compile(
    r"^[\s)\]]{0,3}(?:has been|was|is|were) (?:being )?"
    r"(?:attacked|scanned|targeted|hit|flooded|compromised by)",
    re.IGNORECASE | re.ASCII,
)
_CUE_SOURCE = re.compile(
    r"\b(?:from|by|source|src|attacker|attacking|offending|originating|origin|your|client|remote"
    r"|ban|banned|block|blocked|von|ihrer|ihrem)\b|送信元|攻撃元|発信元|接続元|アクセス元|貴組織|貴社|御社|貴学|貴殿"
    r"|贵方|貴方|贵单位|貴單位|귀\s?기관",
    re.IGNORECASE | re.ASCII,
)
_CUE_TARGET = re.compile(
    r"\b(?:to|against|towards|our|my|victim|target(?:ed|ing)?|destination|dst|on|into)\b"
    r"|弊社|当社|弊学|当学|弊組織|当組織|当方|弊方|宛先|被害|攻撃先|対象",
    re.IGNORECASE | re.ASCII,
)
# The reporter's own machines: never a source, even in "弊社サーバ X から確認" (checked from X).
_OWN = re.compile(
    r"\b(?:our|my|unserem|unseren|unserer|unser|unsere)\b|弊社|当社|弊学|当学|弊組織|当組織|当方|弊方|自社"
    r"|我国|我方|境内|本单位|本單位|당사",
    re.IGNORECASE | re.ASCII,
)
# The reporting machine itself: an SNMP trap's agent, a Wazuh/OSSEC "Received From: (agent)
# IP", the PBX of a sip: URI (sip:1001@PBX) that was being logged into.
_REPORTING_AGENT = re.compile(
    r"(?:\breceived from:\s*\([^)]{0,60}\)\s*|\b(?:from |trap )?agent(?: ip| address| addr)?[\s:=]{0,4}"
    r"|\bsips?:[^\s@<>\"']{0,40}@)$",
    re.IGNORECASE | re.ASCII,
)
_SYSLOG_HOST = re.compile(
    r"^\s*(?:<\d{1,3}>)?(?:[A-Z][a-z]{2}\s{1,2}\d{1,2}\s\d{2}:\d{2}:\d{2}"
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s+$"
)
# tcpdump "A.port > B.port", NetFlow "A:port -> B:port", hand-written "A => B" / "A → B".
_TCPDUMP_AFTER = re.compile(r"^\s?>\s|^\s{0,6}(?:-{1,2}>|=>|→)\s")
_TCPDUMP_BEFORE = re.compile(r"\s>\s$|\s(?:-{1,2}>|=>|→)\s{0,6}$")
# nginx error logs end with host: "..." - the HTTP Host header, naming the reporter's server.
_HTTP_HOST = re.compile(r"\bhost: ?\"$")
# The host of a URL (http://IP/..., defanged hxxp[:]//IP) serves the content reported.
_URL_HOST = re.compile(r"\b(?:https?|hxxps?|h\*\*ps?|ftp|fxp)\[?:\]?//$", re.IGNORECASE)


# How every key pattern above ends (a separator, spaces, an opening quote): where the
# text before an address does not end so, none of them can match and none is tried.
_KEY_TAIL = re.compile(r"[=:：][\s\u3000]{0,16}[\"'\[(<（]?$")


def _nearest(pattern: re.Pattern[str], text: str) -> int:
    """End position of the last match of ``pattern`` in ``text``, or -1."""
    end = -1
    for m in pattern.finditer(text):
        end = m.end()
    return end


# No pattern of _guess names an ASCII digit but "c2" (_KEY_C2, read in the window before
# the address): each reads digits only through classes that hold all ten alike (\d, [0-9],
# \w, \b, [^)]...), and the cue words it reports hold none. So the windows with every
# other ASCII digit written as 0 get the same guess, and log lines that differ only in
# their timestamps, pids and ports share one cache entry.
def guess_role(line: str, start: int, end: int, prev_end: int, next_start: int) -> RoleGuess:
    """Role of the address at ``line[start:end]``; the neighbours bound the context windows."""
    before = digit_shape(line[max(prev_end, start - _BEFORE_WINDOW) : start], ("c2",))
    after = digits_as_zero(line[end : min(next_start, end + _AFTER_WINDOW)])
    return _guess(before, after, digits_as_zero(line[:start]) if prev_end == 0 else None)


@lru_cache(maxsize=8192)
def _guess(before: str, after: str, head: str | None) -> RoleGuess:
    """The guess from the windows alone (log lines repeat them: cached); ``head`` is the
    line up to the address when no address stands before it (the syslog host field)."""
    if _REPORTING_AGENT.search(before):
        return RoleGuess("target", 0.95, "the reporting agent or the PBX of a sip: URI")
    keyed = _KEY_TAIL.search(before) is not None
    if keyed and _KEY_INFECTED.search(before):
        return RoleGuess("source", 1.0, "key names the infected host", kind="infected")
    if keyed and _KEY_C2.search(before):
        return RoleGuess("source", 1.0, "key names a C2 server", kind="c2")
    if keyed and _KEY_SOURCE.search(before):
        return RoleGuess("source", 1.0, "log key names the source")
    target = _KEY_TARGET.search(before) if keyed else None
    if target:
        # 対象 ("the host concerned") is the victim beside a source, else the offender.
        # "Server IP:" too: the victim beside a source, the hosting server (a takedown) alone.
        ambiguous = target.group().startswith("対象") or target.group().lower().startswith("server")
        kind = "ambiguous" if ambiguous else ""
        return RoleGuess("target", 1.0, "log key names the destination", kind=kind)
    if _HTTP_HOST.search(before):
        return RoleGuess("target", 0.9, "the HTTP Host the request was sent to")
    if _TCPDUMP_AFTER.match(after):
        return RoleGuess("source", 0.95, "left of '>' or '->' in a packet or flow line")
    if _TCPDUMP_BEFORE.search(before):
        return RoleGuess("target", 0.95, "right of '>' or '->' in a packet or flow line")
    own = _nearest(_OWN, before)
    if own >= 0 and own >= _nearest(_CUE_SOURCE, before):
        return RoleGuess("target", 0.9, "the reporter's own machine")
    if _URL_HOST.search(before):
        return RoleGuess("source", 0.85, "the host of a URL in the report")
    if _AFTER_SOURCE.match(after):
        return RoleGuess("source", 0.95, "followed by から/より")
    if _AFTER_TARGET.match(after):
        return RoleGuess("target", 0.95, "followed by に対して/へ")
    if head is not None and _SYSLOG_HOST.match(head):
        return RoleGuess("target", 0.9, "syslog host field (the reporting machine)")
    if _AFTER_EN_TARGET.match(after):
        return RoleGuess("target", 0.85, "followed by 'was attacked'")
    if _AFTER_EN_SOURCE.match(after):
        return RoleGuess("source", 0.85, "followed by an attack verb")
    src = _nearest(_CUE_SOURCE, before)
    dst = _nearest(_CUE_TARGET, before)
    if src >= 0 or dst >= 0:
        if src >= dst:
            word = _CUE_SOURCE.findall(before)[-1]
            return RoleGuess("source", 0.85, f"after the cue {word.strip()!r}")
        word = _CUE_TARGET.findall(before)[-1]
        kind = "ambiguous" if word == "対象" else ""
        return RoleGuess("target", 0.85, f"after the cue {word.strip()!r}", kind=kind)
    return RoleGuess("source", 0.6, "no role cue on the line", cued=False)
