"""UI text in English and Japanese; a user's setting first, else the browser's Accept-Language."""

from __future__ import annotations

LANGUAGES = ("en", "ja")

TEXT: dict[str, tuple[str, str]] = {
    "app": ("abusebox", "abusebox"),
    "dashboard": ("Dashboard", "ダッシュボード"),
    "incidents": ("Incidents", "インシデント"),
    "incident": ("Incident", "インシデント"),
    "messages": ("Mail", "メール"),
    "message": ("Message", "メッセージ"),
    "search": ("Search", "検索"),
    "stats": ("Statistics", "統計"),
    "users": ("Users", "ユーザー"),
    "audit": ("Audit log", "監査ログ"),
    "login": ("Sign in", "ログイン"),
    "logout": ("Sign out", "ログアウト"),
    "username": ("User name", "ユーザー名"),
    "password": ("Password", "パスワード"),
    "login_failed": ("Wrong user name or password.", "ユーザー名またはパスワードが違います。"),
    "login_throttled": (
        "Too many failed sign-ins. Wait a few minutes.",
        "ログインの失敗が多すぎます。数分待ってください。",
    ),
    "state": ("State", "状態"),
    "category": ("Category", "分類"),
    "owner": ("Owner", "管理者"),
    "priority": ("Priority", "優先度"),
    "assignee": ("Assignee", "担当者"),
    "key": ("Key", "キー"),
    "reports": ("Reports", "報告"),
    "observations": ("Observations", "観測"),
    "first_seen": ("First seen", "初回観測"),
    "last_seen": ("Last seen", "最終観測"),
    "sort": ("Sort", "並べ替え"),
    "filter": ("Filter", "絞り込み"),
    "all": ("all", "すべて"),
    "page": ("Page", "ページ"),
    "next": ("Next", "次へ"),
    "previous": ("Previous", "前へ"),
    "bulk": ("Selected incidents", "選択したインシデント"),
    "apply": ("Apply", "実行"),
    "set_state": ("Set state", "状態を変更"),
    "assign": ("Assign", "担当を割り当て"),
    "merge": ("Merge into the first", "先頭に統合"),
    "note": ("Note", "メモ"),
    "reason": ("Reason", "理由"),
    "change_state": ("Change state", "状態を変更"),
    "closing_record": ("Closing record", "終了記録"),
    "cause": ("Cause", "原因"),
    "recovery": ("Recovery", "復旧"),
    "prevention": ("Prevention", "再発防止"),
    "lessons": ("Lessons", "教訓"),
    "sources": ("Sources", "送信元"),
    "targets": ("Targets", "対象"),
    "reporters": ("Reporters", "報告者"),
    "network": ("Network", "ネットワーク"),
    "abuse_contacts": ("Abuse contacts", "連絡先"),
    "timeline": ("Timeline", "対応記録"),
    "time_utc": ("Time (UTC)", "時刻 (UTC)"),
    "time_local": ("Your time", "現地時刻"),
    "evidence": ("Evidence", "証跡"),
    "export": ("Export evidence (zip)", "証跡をエクスポート (zip)"),
    "raw": ("Raw message", "原文"),
    "download": ("download", "ダウンロード"),
    "verdict": ("Verdict", "判定"),
    "status": ("Status", "ステータス"),
    "from": ("From", "差出人"),
    "subject": ("Subject", "件名"),
    "received": ("Received (UTC)", "受信 (UTC)"),
    "reclassify": ("Reclassify", "再分類"),
    "replay": ("Replay", "再処理"),
    "reasons": ("Reasons", "理由"),
    "stage": ("Stage", "段階"),
    "pgp": ("PGP", "PGP"),
    "search_hint": (
        "IP, CIDR, e-mail address, ticket tag or Message-ID",
        "IP、CIDR、メールアドレス、チケット番号、Message-ID",
    ),
    "no_results": ("Nothing found.", "見つかりません。"),
    "queues": ("Queues", "キュー"),
    "reports_30_days": ("Reports per day, last 30 days", "過去30日間の日別報告数"),
    "oldest_unhandled": ("Oldest unhandled incident", "最も古い未対応インシデント"),
    "none": ("none", "なし"),
    "outbox": ("Outbox", "送信箱"),
    "outbox_pending": ("Outbox rows waiting for approval", "承認待ちの送信メール"),
    "approve": ("Approve", "承認"),
    "discard": ("Discard", "破棄"),
    "send_now": ("Send now", "今すぐ送信"),
    "kind": ("Kind", "種類"),
    "to": ("To", "宛先"),
    "attempts": ("Attempts", "試行回数"),
    "last_error": ("Last error", "最後のエラー"),
    "created": ("Created (UTC)", "作成 (UTC)"),
    "sent": ("Sent (UTC)", "送信 (UTC)"),
    "per_month": ("Per month", "月別"),
    "per_quarter": ("Per quarter", "四半期別"),
    "period": ("Period", "期間"),
    "reports_received": ("Reports received", "受信した報告"),
    "coordinated": ("Forwarded / coordinated", "転送・調整"),
    "incidents_by_category": ("Incidents by category", "分類別インシデント"),
    "csv": ("CSV", "CSV"),
    "role": ("Role", "権限"),
    "disabled": ("Disabled", "無効"),
    "language": ("Language", "言語"),
    "save": ("Save", "保存"),
    "forbidden": ("You may not do this.", "この操作は許可されていません。"),
    "not_found": ("Not found.", "見つかりません。"),
    "error": ("Error", "エラー"),
    "done": ("Done.", "完了しました。"),
    "verdicts": ("Verdicts", "判定"),
    "statuses": ("Message status", "メッセージの状態"),
    "total": ("Total", "合計"),
    "signed_in_as": ("Signed in as", "ログイン中:"),
    "response_times": ("Response times, last 30 days", "過去30日間の対応時間"),
    "time_to_acknowledge": ("Report received to acknowledgement sent", "報告受信から受領通知送信まで"),
    "time_to_notify": ("Incident opened to owner notified", "インシデント作成から管理者通知まで"),
    "median": ("median", "中央値"),
    "p90": ("90th percentile", "90パーセンタイル"),
    "count": ("count", "件数"),
    "reporter": ("Reporter", "報告者"),
    "reports_count": ("Reports", "報告数"),
    "first_report": ("First report (UTC)", "最初の報告 (UTC)"),
    "last_report": ("Last report (UTC)", "最後の報告 (UTC)"),
    "keys": ("Keys", "鍵"),
    "trust": ("Trust", "信頼"),
    "trusted": ("trusted", "信頼済み"),
    "acks": ("Acknowledgements", "受領通知"),
    "signed_reports": ("Signed reports", "署名付き報告"),
    "forwarded_to": ("Forwarded to", "転送先"),
    "extracted_text": ("Extracted text", "抽出したテキスト"),
    "html_view": (
        "HTML (sanitised, no scripts, no remote content)",
        "HTML(無害化済み、スクリプト・外部読込なし)",
    ),
}


def pick_language(user_language: str | None, accept_language: str | None) -> str:
    if user_language in LANGUAGES:
        return user_language
    best, best_q = "en", -1.0
    for part in (accept_language or "").split(","):
        piece = part.strip().split(";")
        tag = piece[0].strip().lower()[:2]
        q = 1.0
        for param in piece[1:]:
            if param.strip().startswith("q="):
                try:
                    q = float(param.strip()[2:])
                except ValueError:
                    q = 0.0
        if tag in LANGUAGES and q > best_q:
            best, best_q = tag, q
    return best


def translator(language: str):  # type: ignore[no-untyped-def]
    index = 1 if language == "ja" else 0

    def t(key: str) -> str:
        pair = TEXT.get(key)
        return pair[index] if pair else key

    return t
