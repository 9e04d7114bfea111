"""HUD cards and speech for every step of every skill, in English and Chinese.

``reply(message_id, lang, **fields)`` returns a ``Reply``: what the S1 waveguide
shows (title, body, lines) and what the bone-conduction speaker says (G1 has no
display, so it speaks every reply; S1 speaks only replies marked ``speak``).
Money is always shown with its currency and the payee before any confirmation.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from glasses_bringup.payment import clean_text

MAX_FIELD_CHARS = 80  # longest text one field may put on the HUD

_ids = itertools.count(1)


@dataclass
class Reply:
    message_id: str
    kind: str  # info, confirm, warning, error, status, ask
    title: str
    body: str
    speech: str
    lang: str = "en"
    lines: list[str] = field(default_factory=list)
    ttl_s: float = 6.0
    priority: int = 5
    speak: bool = False  # also spoken on S1
    card_id: str = ""

    def __post_init__(self) -> None:
        if not self.card_id:
            self.card_id = f"{self.message_id}-{next(_ids)}"


# message id -> (kind, ttl_s, priority, speak, {lang: (title, body, speech)})
TEMPLATES: dict[str, tuple[str, float, int, bool, dict[str, tuple[str, str, str]]]] = {
    "listening": ("info", 4, 3, False, {
        "en": ("Listening…", "", "Yes?"),
        "zh": ("请说…", "", "我在听"),
    }),
    "did_not_understand": ("ask", 6, 6, True, {
        "en": ("Sorry, I didn't get that", "Try: \"pay\", \"compare prices\", \"order food\", \"take me to …\"",
               "Sorry, I didn't understand. Could you say it another way?"),
        "zh": ("没听明白", "试试：“付款”、“比价”、“点外卖”、“带我去…”", "抱歉，我没听明白，可以换个说法吗？"),
    }),
    "look_at_code": ("ask", 10, 6, True, {
        "en": ("Look at the payment code", "Hold the QR code in view", "Please look at the payment code."),
        "zh": ("请看向付款码", "把二维码放在视野中", "请看向付款码。"),
    }),
    "ask_amount": ("ask", 12, 7, True, {
        "en": ("How much?", "{payee_name}: this code has no amount", "How much do you want to pay {payee_name}?"),
        "zh": ("付多少？", "{payee_name}：此码没有金额", "要付给{payee_name}多少钱？"),
    }),
    "confirm_pay": ("confirm", 15, 8, True, {
        "en": ("Pay {amount}?", "to {payee_name}", "Pay {amount} to {payee_name}? Nod, double tap or say confirm."),
        "zh": ("支付 {amount}？", "收款方：{payee_name}", "向{payee_name}支付{amount}？点头、双击或说确认。"),
    }),
    "paid": ("info", 6, 7, True, {
        "en": ("Paid {amount}", "to {payee_name} · ref {ref}", "Paid {amount} to {payee_name}."),
        "zh": ("已支付 {amount}", "收款方：{payee_name}", "已向{payee_name}支付{amount}。"),
    }),
    "already_paid": ("warning", 6, 7, True, {
        "en": ("Already paid", "{amount} to {payee_name} was paid before", "You already paid {amount} to {payee_name}."),
        "zh": ("已经付过了", "{payee_name} {amount} 之前已支付", "这笔{amount}已经付给{payee_name}了。"),
    }),
    "bad_code": ("error", 6, 7, True, {
        "en": ("Payment code refused", "{reason}", "This payment code is not valid. Nothing was paid."),
        "zh": ("付款码无效", "{reason}", "这个付款码无效，没有付款。"),
    }),
    "amount_mismatch": ("error", 6, 7, True, {
        "en": ("Amounts differ", "code asks {code_amount}, you said {said_amount}",
               "The code asks {code_amount} but you said {said_amount}. Nothing was paid."),
        "zh": ("金额不一致", "付款码 {code_amount}，您说 {said_amount}", "付款码金额是{code_amount}，您说的是{said_amount}，没有付款。"),
    }),
    "over_limit": ("error", 8, 8, True, {
        "en": ("Over the {which} limit", "{amount} · limit {limit}", "That is over your {which} limit of {limit}. Nothing was paid."),
        "zh": ("超出{which}限额", "{amount} · 限额 {limit}", "超出{which}限额{limit}，没有付款。"),
    }),
    "payment_failed": ("error", 8, 8, True, {
        "en": ("Payment failed", "{reason}", "The payment failed: {reason}. Nothing was charged."),
        "zh": ("支付失败", "{reason}", "支付失败：{reason}，没有扣款。"),
    }),
    "payment_retry": ("error", 10, 8, True, {
        "en": ("Not paid yet", "{reason} · confirm again to retry",
               "The payment did not go through ({reason}). Confirm again to retry; it is charged at most once."),
        "zh": ("尚未支付", "{reason} · 再次确认即可重试", "支付没有完成（{reason}）。再次确认即可重试，最多扣款一次。"),
    }),
    "not_placed_refunded": ("error", 8, 8, True, {
        "en": ("Not placed, refunded", "{reason} · {amount} returned", "It could not be placed ({reason}). {amount} was refunded."),
        "zh": ("未能下单，已退款", "{reason} · 已退回 {amount}", "未能下单（{reason}），已退款{amount}。"),
    }),
    "not_placed_held": ("error", 10, 8, True, {
        "en": ("Not placed yet", "{reason} · {amount} is placed or refunded when the service answers",
               "It could not be placed yet ({reason}). {amount} will be placed or refunded when the service answers."),
        "zh": ("尚未下单", "{reason} · 服务恢复后下单或退回 {amount}", "暂时无法下单（{reason}），服务恢复后会下单或退回{amount}。"),
    }),
    "recovered": ("info", 8, 7, True, {
        "en": ("Finished after restart", "{what} · {amount}", "After the restart, {what} was finished: {amount}."),
        "zh": ("重启后已完成", "{what} · {amount}", "重启后已完成{what}，{amount}。"),
    }),
    "recovery_refunded": ("warning", 8, 7, True, {
        "en": ("Refunded after restart", "{what} · {amount}", "{what} could not be finished after the restart; {amount} was refunded."),
        "zh": ("重启后已退款", "{what} · {amount}", "重启后无法完成{what}，已退款{amount}。"),
    }),
    "recovery_dropped": ("warning", 8, 7, True, {
        "en": ("Interrupted, not charged", "{what} · {amount}", "{what} was interrupted and not finished. Nothing was charged."),
        "zh": ("已中断，未扣款", "{what} · {amount}", "{what}被中断，未完成，没有扣款。"),
    }),
    "expired": ("warning", 5, 6, True, {
        "en": ("Not confirmed", "{what} · timed out", "No confirmation, so I cancelled it."),
        "zh": ("未确认", "{what} · 已超时", "没有确认，已取消。"),
    }),
    "cancelled": ("info", 4, 6, True, {
        "en": ("Cancelled", "{what}", "Cancelled."),
        "zh": ("已取消", "{what}", "已取消。"),
    }),
    "cancelled_refund_due": ("warning", 8, 6, True, {
        "en": ("Cancelled, refund pending", "{what} · refunded as soon as the wallet answers",
               "Cancelled. The refund is made as soon as the wallet answers."),
        "zh": ("已取消，退款处理中", "{what} · 钱包恢复后立即退款", "已取消，钱包恢复后会立即退款。"),
    }),
    "cancel_failed": ("error", 6, 7, True, {
        "en": ("Not cancelled", "{reason} · try again", "I could not cancel it ({reason}). Please try again."),
        "zh": ("未能取消", "{reason} · 请重试", "没能取消（{reason}），请再试一次。"),
    }),
    "nothing_to_confirm": ("info", 3, 3, False, {
        "en": ("Nothing to confirm", "", "There is nothing to confirm."),
        "zh": ("没有待确认的事项", "", "没有需要确认的事。"),
    }),
    "nothing_to_cancel": ("info", 3, 3, False, {
        "en": ("Nothing to cancel", "", "There is nothing to cancel."),
        "zh": ("没有可取消的事项", "", "没有需要取消的事。"),
    }),
    "look_at_product": ("ask", 10, 6, True, {
        "en": ("Look at the product", "or its barcode", "Please look at the product or its barcode."),
        "zh": ("请看向商品", "或它的条形码", "请看向商品或条形码。"),
    }),
    "unknown_product": ("warning", 6, 6, True, {
        "en": ("Product not found", "{what}", "I couldn't find that product."),
        "zh": ("没有找到商品", "{what}", "没有找到这个商品。"),
    }),
    "best_offer": ("info", 10, 6, True, {
        "en": ("Best: {price} at {merchant}", "{product}", "{product} is cheapest at {merchant}, {price}. Say buy it to order."),
        "zh": ("最低价：{merchant} {price}", "{product}", "{product}在{merchant}最便宜，{price}。说“买它”即可下单。"),
    }),
    "confirm_buy": ("confirm", 15, 8, True, {
        "en": ("Buy for {amount}?", "{quantity} × {product} from {merchant}",
               "Buy {quantity} {product} from {merchant} for {amount}? Nod, double tap or say confirm."),
        "zh": ("购买 {amount}？", "{quantity} × {product} · {merchant}", "从{merchant}购买{quantity}件{product}，共{amount}？点头、双击或说确认。"),
    }),
    "bought": ("info", 6, 7, True, {
        "en": ("Bought", "{quantity} × {product} · {amount}", "Done. {product} ordered from {merchant} for {amount}."),
        "zh": ("已购买", "{quantity} × {product} · {amount}", "好的，已从{merchant}购买{product}，共{amount}。"),
    }),
    "ask_dish": ("ask", 10, 6, True, {
        "en": ("What would you like?", "e.g. \"a large beef noodle from the usual place\"", "What would you like to order?"),
        "zh": ("想吃什么？", "例如：“从老地方点一份大份牛肉面”", "想点什么？"),
    }),
    "no_dish": ("warning", 6, 6, True, {
        "en": ("Not on the menu", "{what}", "I couldn't find {what} on the menu."),
        "zh": ("菜单上没有", "{what}", "菜单上没有找到{what}。"),
    }),
    "confirm_food": ("confirm", 15, 8, True, {
        "en": ("Order for {amount}?", "{quantity} × {size} {dish} · {restaurant} · ~{delivery_min} min",
               "Order {quantity} {size} {dish} from {restaurant} for {amount}, about {delivery_min} minutes? Nod, double tap or say confirm."),
        "zh": ("下单 {amount}？", "{quantity} × {size}{dish} · {restaurant} · 约{delivery_min}分钟",
               "从{restaurant}点{quantity}份{size}{dish}，共{amount}，约{delivery_min}分钟送达？点头、双击或说确认。"),
    }),
    "food_status": ("status", 6, 5, True, {
        "en": ("Order: {status}", "{dish} · {restaurant}", "Your order is {status}."),
        "zh": ("订单：{status}", "{dish} · {restaurant}", "您的订单{status}。"),
    }),
    "ask_destination": ("ask", 10, 6, True, {
        "en": ("Where to?", "", "Where do you want to go?"),
        "zh": ("去哪里？", "", "您要去哪里？"),
    }),
    "unknown_place": ("warning", 6, 6, True, {
        "en": ("Unknown place", "{what}", "I don't know where {what} is."),
        "zh": ("未知地点", "{what}", "我不知道{what}在哪里。"),
    }),
    "confirm_ride": ("confirm", 15, 8, True, {
        "en": ("Taxi for {amount}?", "to {destination} · pickup in {eta} min · {ride_class}",
               "A taxi to {destination} costs {amount}, pickup in {eta} minutes. Nod, double tap or say confirm."),
        "zh": ("打车 {amount}？", "去{destination} · {eta}分钟后接驾 · {ride_class}",
               "去{destination}约{amount}，{eta}分钟后接驾。点头、双击或说确认。"),
    }),
    "ride_status": ("status", 6, 6, True, {
        "en": ("Ride: {status}", "to {destination}", "Your ride: {status}."),
        "zh": ("行程：{status}", "去{destination}", "您的行程：{status}。"),
    }),
    "not_offline": ("info", 6, 5, True, {
        "en": ("{feature}: not available offline", "{hint}", "{feature} is not available offline."),
        "zh": ("{feature}：离线不可用", "{hint}", "{feature}离线不可用。"),
    }),
    "action": ("info", 4, 4, False, {
        "en": ("{title}", "{body}", "{title}."),
        "zh": ("{title}", "{body}", "{title}。"),
    }),
    "reminder_set": ("info", 5, 5, True, {
        "en": ("Reminder set", "{task} · {when}", "OK, I'll remind you to {task} {when}."),
        "zh": ("已设置提醒", "{task} · {when}", "好的，{when}提醒您{task}。"),
    }),
    "reminder_due": ("warning", 10, 7, True, {
        "en": ("Reminder", "{task}", "Reminder: {task}."),
        "zh": ("提醒", "{task}", "提醒：{task}。"),
    }),
    "seen": ("info", 6, 5, True, {
        "en": ("{what}", "{detail}", "This looks like {what}."),
        "zh": ("{what}", "{detail}", "这看起来是{what}。"),
    }),

    # -- meeting notes, captions, teleprompter, what is this, read aloud --------------
    "notes_started": ("info", 5, 5, True, {
        "en": ("Taking notes", "Every sentence is saved as it is heard · say \"stop notes\" to finish",
               "Taking notes. Say stop notes to finish."),
        "zh": ("正在记录会议", "每句话听到即保存 · 说“停止记录”结束", "开始记录会议，说“停止记录”结束。"),
    }),
    "notes_already": ("info", 4, 4, False, {
        "en": ("Already taking notes", "{segments} segments so far", "I'm already taking notes."),
        "zh": ("已在记录", "已记录{segments}段", "已经在记录了。"),
    }),
    "notes_not_running": ("info", 4, 4, False, {
        "en": ("Not taking notes", "Say \"take notes\" to start", "I'm not taking notes."),
        "zh": ("没有在记录", "说“开始记录”开始", "现在没有在记录。"),
    }),
    "notes_saved": ("info", 6, 6, True, {
        "en": ("Notes saved", "{segments} segments · meeting {meeting_id}", "Notes saved, {segments} segments."),
        "zh": ("笔记已保存", "共{segments}段 · 会议{meeting_id}", "笔记已保存，共{segments}段。"),
    }),
    "no_notes": ("warning", 5, 5, True, {
        "en": ("No notes yet", "Say \"take notes\" during a meeting", "There are no notes yet."),
        "zh": ("还没有笔记", "开会时说“开始记录”", "还没有会议笔记。"),
    }),
    "notes_summary": ("info", 15, 6, True, {
        "en": ("Summary: {decisions} decisions, {actions} action items", "{backend} summary",
               "The meeting had {decisions} decisions and {actions} action items. {readback}"),
        "zh": ("总结：{decisions}项决定，{actions}项待办", "{backend}总结", "会议有{decisions}项决定，{actions}项待办。{readback}"),
    }),
    "captions_on": ("info", 4, 5, False, {
        "en": ("Live captions on", "Other people's speech appears here", "Live captions on."),
        "zh": ("实时字幕已打开", "其他人说的话会显示在这里", "实时字幕已打开。"),
    }),
    "captions_no_display": ("info", 5, 5, True, {
        "en": ("Captions are spoken", "G1 has no display: what others say is read to you",
               "This model has no display, so I will read out what others say."),
        "zh": ("字幕改为朗读", "G1 没有显示屏：会把别人说的话读给您听", "这款眼镜没有显示屏，我会把别人说的话读给您听。"),
    }),
    "captions_off": ("info", 3, 4, False, {
        "en": ("Live captions off", "", "Captions off."),
        "zh": ("实时字幕已关闭", "", "字幕已关闭。"),
    }),
    "captions_not_running": ("info", 3, 3, False, {
        "en": ("Captions are not on", "", "Captions are not on."),
        "zh": ("字幕没有打开", "", "字幕没有打开。"),
    }),
    "captions_translated": ("info", 5, 5, False, {
        "en": ("Captions in {target}", "translated by {backend}", "Captions will be in {target}."),
        "zh": ("字幕翻译为{target}", "翻译：{backend}", "字幕将翻译为{target}。"),
    }),
    "translation_unavailable": ("warning", 8, 6, True, {
        "en": ("Can't translate {pair} offline", "Needs an LLM endpoint (llm_url); offline only speech → English",
               "I can't translate {pair} offline. Configure an LLM endpoint."),
        "zh": ("离线无法翻译 {pair}", "需要大模型接口 (llm_url)；离线只支持语音译成英文", "离线无法翻译{pair}，请配置大模型接口。"),
    }),
    "translation": ("info", 12, 6, True, {
        "en": ("{text}", "{target} translation", "{text}"),
        "zh": ("{text}", "{target}翻译", "{text}"),
    }),
    "look_at_text": ("ask", 8, 5, True, {
        "en": ("Look at the text", "No text in view yet", "Please look at the text."),
        "zh": ("请看向文字", "视野中还没有文字", "请看向要读的文字。"),
    }),
    "read_text": ("info", 12, 6, True, {
        "en": ("Reading", "", "{text}"),
        "zh": ("朗读", "", "{text}"),
    }),
    "subtitle": ("subtitle", 6, 4, False, {
        "en": ("", "", "{text}"),
        "zh": ("", "", "{text}"),
    }),
    "teleprompter": ("teleprompter", 3600, 4, False, {
        "en": ("Line {line}/{total} {state}", "", ""),
        "zh": ("第{line}/{total}行 {state}", "", ""),
    }),
    "teleprompter_no_display": ("warning", 5, 5, True, {
        "en": ("No display", "G1 has no display for a teleprompter", "This model has no display, so there is no teleprompter."),
        "zh": ("没有显示屏", "G1 没有显示屏，无法使用提词器", "这款眼镜没有显示屏，无法使用提词器。"),
    }),
    "teleprompter_no_script": ("warning", 6, 5, True, {
        "en": ("No script loaded", "Set teleprompter_script or load one with the service", "There is no script to show."),
        "zh": ("没有提词稿", "设置 teleprompter_script 或通过服务加载", "没有可显示的提词稿。"),
    }),
    "teleprompter_bad_script": ("error", 6, 5, True, {
        "en": ("Script not loaded", "{reason}", "The script could not be loaded."),
        "zh": ("提词稿加载失败", "{reason}", "提词稿无法加载。"),
    }),
    "teleprompter_closed": ("info", 3, 4, False, {
        "en": ("Teleprompter closed", "", "Teleprompter closed."),
        "zh": ("提词器已关闭", "", "提词器已关闭。"),
    }),
    "cannot_tell_offline": ("info", 5, 5, True, {
        "en": ("I can't tell offline", "No code, product or text recognized in view",
               "I can't tell what this is offline."),
        "zh": ("离线无法识别", "视野中没有识别到码、商品或文字", "离线无法识别这是什么。"),
    }),
    "looking": ("info", 4, 4, False, {
        "en": ("Looking…", "One frame goes to the vision model, nothing is stored", "Let me look."),
        "zh": ("正在看…", "一帧画面发送给视觉模型，不会保存", "我看一下。"),
    }),
    "vision_answer": ("info", 10, 6, True, {
        "en": ("{answer}", "", "{answer}"),
        "zh": ("{answer}", "", "{answer}"),
    }),
}

STATUS_WORDS = {
    "zh": {"confirmed": "已确认", "preparing": "制作中", "on_the_way": "配送中", "delivered": "已送达",
           "cancelled": "已取消", "driver_on_the_way": "司机正在赶来", "driver_arrived": "司机已到达",
           "on_trip": "行程中", "completed": "已到达", "standard": "经济型", "large": "大车", "small": "小份",
           "medium": "中份", "regular": "", "limit_daily": "每日", "limit_per_payment": "单笔",
           "claimed_name": "码上名称：{name}（未核实）", "pay": "付款", "buy": "购买", "food": "外卖订单", "ride": "打车",
           "paused": "（已暂停）"},
    "en": {"on_the_way": "on the way", "driver_on_the_way": "driver on the way", "driver_arrived": "driver arrived",
           "on_trip": "on trip", "limit_daily": "daily", "limit_per_payment": "per-payment", "regular": "",
           "claimed_name": "name on the code: {name} (not verified)", "pay": "the payment", "buy": "the purchase",
           "food": "the food order", "ride": "the taxi", "paused": "(paused)"},
}  # fmt: skip


def word(value: str, lang: str) -> str:
    """Display word of a status / size / class value."""
    return STATUS_WORDS.get(lang, {}).get(value, value)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _safe(value):
    # names from codes, menus and services are shown and spoken: no bidi overrides, zero-width or
    # control characters, and a bounded length, whatever their source
    return clean_text(value, MAX_FIELD_CHARS) if isinstance(value, str) else value


MAX_SPOKEN_CHARS = 600  # read-aloud replies (a sign, a summary) may say more than a HUD field shows


def spoken(reply_: Reply, text: str) -> Reply:
    """``reply_`` with ``text`` as its speech: cleaned like every field, capped at MAX_SPOKEN_CHARS."""
    reply_.speech = clean_text(text, MAX_SPOKEN_CHARS)
    return reply_


def reply(message_id: str, lang: str = "en", **fields) -> Reply:
    kind, ttl, priority, speak, texts = TEMPLATES[message_id]
    title, body, speech = texts.get(lang) or texts["en"]
    values = _Blank({k: ("" if v is None else _safe(v)) for k, v in fields.items()})
    fmt = lambda s: " ".join(s.format_map(values).split())  # noqa: E731 - collapse blanks left by empty fields
    return Reply(message_id, kind, fmt(title), fmt(body), fmt(speech), lang if lang in texts else "en",
                 [clean_text(x, MAX_FIELD_CHARS) for x in fields.get("lines", [])], float(ttl), priority, speak)  # fmt: skip
