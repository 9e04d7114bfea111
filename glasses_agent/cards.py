"""HUD cards and speech for every step of every skill, in English and Chinese.

``reply(message_id, lang, **fields)`` returns a ``Reply``: what the S1 waveguide
shows (title, body, lines) and what the bone-conduction speaker says (G1 has no
display, so it speaks every reply; S1 speaks only replies marked ``speak``).
Money is always shown with its currency and the payee before any confirmation.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.payment import clean_text

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
    image: str = ""  # a thumbnail (JPEG path) the HUD draws beside the text

    def __post_init__(self) -> None:
        if not self.card_id:
            self.card_id = f"{self.message_id}-{next(_ids)}"


# message id -> (kind, ttl_s, priority, speak, {lang: (title, body, speech)})
TEMPLATES: dict[str, tuple[str, float, int, bool, dict[str, tuple[str, str, str]]]] = {
    "listening": ("info", 4, 3, False, {
        "en": ("Listening…", "", "Yes?"),
        "zh": ("请说…", "", "我在听"),
    }),
    # provisional: what the wearer was heard to ask, at a pause before the end of speech is
    # sure; nothing is done until the final transcript (which replaces this card)
    "heard": (ev.CARD_HEARD, 3, 4, False, {
        "en": ("{what}…", "“{text}”", ""),
        "zh": ("{what}…", "“{text}”", ""),
    }),
    "did_not_understand": ("ask", 6, 6, True, {
        "en": ("Sorry, I didn't get that", "Try: \"pay\", \"compare prices\", \"order food\", \"take me to …\"",
               "Sorry, I didn't understand. Could you say it another way?"),
        "zh": ("没听明白", "试试：“付款”、“比价”、“点外卖”、“带我去…”", "抱歉，我没听明白，可以换个说法吗？"),
    }),
    "clarify": ("ask", 10, 6, True, {
        "en": ("Did you mean…?", "① {first}   ② {second}",
               "Did you mean {first}, or {second}? Say first or second, or tap for the first, swipe for the second."),
        "zh": ("您是想…？", "① {first}   ② {second}", "您是想{first}，还是{second}？请说第一个或第二个，或轻点选第一个、滑动选第二个。"),
    }),
    "clarify_one": ("ask", 10, 6, True, {
        "en": ("Did you mean {first}?", "yes: say yes or tap · no: long press", "Did you mean {first}? Say yes or no."),
        "zh": ("您是想{first}吗？", "是：说“是”或轻点 · 不是：长按", "您是想{first}吗？请说是或不是。"),
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
    "service_failed": ("error", 8, 7, True, {
        "en": ("Not done", "{reason} · try again later", "That did not work: the service answered {reason}. Nothing was done."),
        "zh": ("未完成", "{reason} · 请稍后再试", "没有完成：服务返回{reason}，什么都没有做。"),
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
    # -- proactive prompts
    "leave_now": ("warning", 12, 7, True, {
        "en": ("Time to leave", "{number} at {clock} · {minutes} min by {how} to the {place}",
               "Time to leave: {number} goes at {clock}, {minutes} minutes by {how} to the {place}."),
        "zh": ("该出发了", "{number} {clock} · {how}{minutes}分钟到{place}", "该出发了：{number}{clock}出发，{how}{minutes}分钟到{place}。"),
    }),
    "battery_short": ("warning", 10, 6, True, {
        "en": ("Battery won't last", "until {title} at {clock} · {hours} h left · swap a pack",
               "Your battery may not last until {title} at {clock}. Swap a pack."),
        "zh": ("电量撑不到", "{clock}的{title} · 剩{hours}小时 · 请换电池", "电量可能撑不到{clock}的{title}，请更换电池。"),
    }),
    # -- power notices (facts from the power policy on power/notice, worded here)
    "battery_low": ("warning", 10, 8, True, {
        "en": ("Battery low", "{where} · about {minutes} min left · swap a pack",
               "Battery low: {where} has about {minutes} minutes left. Swap a pack to keep going."),
        "zh": ("电量低", "{where} · 约剩{minutes}分钟 · 请换电池", "电量低：{where}约剩{minutes}分钟，请更换电池。"),
    }),
    "power_refused": ("warning", 8, 7, True, {
        "en": ("Battery low", "not enough charge for {what} ({wh} Wh left) · swap a pack",
               "Battery too low for {what}. Swap a pack to continue."),
        "zh": ("电量低", "电量不足以运行{what}（剩{wh} Wh）· 请换电池", "电量太低，无法运行{what}，请更换电池。"),
    }),
    "listening_cost": ("info", 8, 5, False, {
        "en": ("Captions cost +{extra_w} W", "about {hours} h of battery at this load", "Transcribing costs {extra_w} watts."),
        "zh": ("字幕/记录耗电 +{extra_w} W", "电量约可用 {hours} 小时", "持续转写耗电{extra_w}瓦。"),
    }),
    "listening_short": ("warning", 8, 8, True, {
        "en": ("Battery won't last the meeting",
               "transcribing costs +{extra_w} W: about {hours} h left, meeting {meeting} h; swap a pack",
               "Battery won't last the meeting: about {hours} hours left while transcribing. Swap a pack."),
        "zh": ("电量不够整场会议", "持续转写 +{extra_w} W：约 {hours} 小时，会议预计 {meeting} 小时，请换电池",
               "电量不够整场会议：转写时约可用{hours}小时，请更换电池。"),
    }),
    "proactive_dismissed": ("info", 2, 3, False, {
        "en": ("Dismissed", "", "OK."),
        "zh": ("已忽略", "", "好的。"),
    }),
    # -- calls and messages: "In call" only when the link reports it, "Sent" only after the confirmation
    "call_ringing": ("confirm", 30, 9, True, {
        "en": ("📞 {who} is calling", "Nod or double tap to answer · shake to decline", "{who} is calling. Nod to answer, shake to decline."),
        "zh": ("📞 {who}来电", "点头或双击接听 · 摇头拒接", "{who}来电，点头接听，摇头拒接。"),
    }),
    "call_dialing": ("status", 10, 6, True, {
        "en": ("📞 Calling {who}…", "Say \"hang up\" to end", "Calling {who}."),
        "zh": ("📞 正在呼叫{who}…", "说“挂断”结束", "正在呼叫{who}。"),
    }),
    "call_active": ("status", 6, 6, False, {
        "en": ("📞 In call with {who}", "Say \"hang up\" or long press to end", "Connected with {who}."),
        "zh": ("📞 与{who}通话中", "说“挂断”或长按结束", "已接通{who}。"),
    }),
    "call_ended": ("info", 5, 6, True, {
        "en": ("Call ended", "{who} · {duration}", "Call with {who} ended, {duration}."),
        "zh": ("通话结束", "{who} · {duration}", "与{who}的通话已结束，{duration}。"),
    }),
    "call_declined": ("info", 4, 6, False, {
        "en": ("Call declined", "{who}", "Declined."),
        "zh": ("已拒接", "{who}", "已拒接。"),
    }),
    "call_missed": ("warning", 8, 6, True, {
        "en": ("Missed call", "{who}", "You missed a call from {who}."),
        "zh": ("未接来电", "{who}", "您有一个{who}的未接来电。"),
    }),
    "call_busy": ("warning", 5, 6, True, {
        "en": ("Already in a call", "{who}", "You are already in a call with {who}."),
        "zh": ("正在通话中", "{who}", "您正在与{who}通话。"),
    }),
    "no_call": ("info", 3, 4, False, {
        "en": ("No call", "", "There is no call."),
        "zh": ("没有通话", "", "现在没有通话。"),
    }),
    "ask_contact": ("ask", 8, 6, True, {
        "en": ("Who?", "e.g. \"call Anna\"", "Who should I contact?"),
        "zh": ("联系谁？", "例如：“给安娜打电话”", "要联系谁？"),
    }),
    "unknown_contact": ("warning", 6, 6, True, {
        "en": ("Unknown contact", "{who}", "I can't find {who} in your contacts."),
        "zh": ("找不到联系人", "{who}", "通讯录里没有{who}。"),
    }),
    "ask_message": ("ask", 10, 6, True, {
        "en": ("Message to {who}", "What should it say?", "What should the message to {who} say?"),
        "zh": ("发给{who}", "要说什么？", "要给{who}发什么内容？"),
    }),
    "confirm_message": ("confirm", 15, 8, True, {
        "en": ("Send to {who}?", "“{text}”", "Send to {who}: {text}? Nod, double tap or say confirm."),
        "zh": ("发送给{who}？", "“{text}”", "给{who}发送：{text}？点头、双击或说确认。"),
    }),
    "message_sent": ("info", 4, 6, True, {
        "en": ("Message sent", "to {who}", "Message sent to {who}."),
        "zh": ("消息已发送", "发给{who}", "消息已发给{who}。"),
    }),
    # -- time, alarms, calendar, trips, weather, battery
    "time_now": ("info", 5, 4, True, {
        "en": ("{clock}", "{date}", "It's {clock}."),
        "zh": ("{clock}", "{date}", "现在是{clock}。"),
    }),
    "alarm_ask_time": ("ask", 8, 6, True, {
        "en": ("Alarm for when?", "e.g. \"wake me up at 6:30\"", "For what time?"),
        "zh": ("闹钟定在几点？", "例如：“明天早上七点叫醒我”", "要定在几点？"),
    }),
    "alarm_set": ("info", 5, 5, True, {
        "en": ("⏰ Alarm {clock}", "{day}", "Alarm set for {clock} {day}."),
        "zh": ("⏰ 闹钟 {clock}", "{day}", "好的，闹钟定在{day}{clock}。"),
    }),
    "alarm_ring": ("warning", 30, 9, True, {
        "en": ("⏰ {clock}", "{label} {late}", "It's {clock}. {label} {late}"),
        "zh": ("⏰ {clock}", "{label} {late}", "{clock}了。{label} {late}"),
    }),
    "battery_status": ("info", 6, 5, True, {
        "en": ("Battery {percent}%", "about {hours} h left · {packs} {mode}", "Battery {percent} percent, about {hours} hours left."),
        "zh": ("电量 {percent}%", "约剩{hours}小时 · {packs} {mode}", "电量百分之{percent}，大约还能用{hours}小时。"),
    }),
    "battery_unknown": ("warning", 5, 5, True, {
        "en": ("Battery: no reading yet", "The battery manager has not reported", "I have no battery reading yet."),
        "zh": ("电量：暂无数据", "电池管理还没有上报", "还没有电量数据。"),
    }),
    "weather": ("info", 8, 5, True, {
        "en": ("{city}: {condition}", "{day} · {high}° / {low}° · {source}", "{city} {day}: {condition}, high {high}, low {low} degrees."),
        "zh": ("{city}：{condition}", "{day} · {high}° / {low}° · {source}", "{city}{day}{condition}，最高{high}度，最低{low}度。"),
    }),
    "no_trip": ("info", 5, 5, True, {
        "en": ("No {what} booked", "", "You have no {what} coming up."),
        "zh": ("没有{what}行程", "", "您近期没有{what}行程。"),
    }),
    "trip_status": ("info", 8, 6, True, {
        "en": ("{number} to {destination}", "{clock} · {where} {gate} · {delay}", "{number} to {destination} leaves at {clock} from {where} {gate}, {delay}."),
        "zh": ("{number} 去{destination}", "{clock} · {where}{gate} · {delay}", "{number}去{destination}，{clock}出发，{where}{gate}，{delay}。"),
    }),
    "trip_update": ("warning", 10, 7, True, {
        "en": ("{number}: {status}", "{clock} · {where} {gate} · {delay}", "{number} to {destination}: {status}, {delay}, {where} {gate}."),
        "zh": ("{number}：{status}", "{clock} · {where}{gate} · {delay}", "{number}去{destination}：{status}，{delay}，{where}{gate}。"),
    }),
    "schedule_added": ("info", 5, 5, True, {
        "en": ("Added: {title}", "{day} {clock}", "Added {title} {day} at {clock}."),
        "zh": ("已添加：{title}", "{day} {clock}", "已添加{day}{clock}的{title}。"),
    }),
    "schedule_empty": ("info", 5, 4, True, {
        "en": ("Nothing {day}", "Your calendar is free", "Nothing on your calendar {day}."),
        "zh": ("{day}没有安排", "日历是空的", "{day}没有安排。"),
    }),
    "schedule_list": ("info", 8, 5, True, {
        "en": ("{day}: {count} on the calendar", "", "{day} you have {count}: first, {first}."),
        "zh": ("{day}：{count}项安排", "", "{day}有{count}项安排，第一项：{first}。"),
    }),
    # -- music: "Playing", "Volume" and "paused" only from the player's state after the command
    "music_requested": ("info", 2, 3, False, {
        "en": ("{what}…", "", "{what}."),
        "zh": ("{what}…", "", "{what}。"),
    }),
    "music_playing": ("media", 5, 4, False, {
        "en": ("♪ Playing {title}", "{artist}", "Playing {title}."),
        "zh": ("♪ 正在播放{title}", "{artist}", "正在播放{title}。"),
    }),
    "music_paused": ("media", 3, 4, False, {
        "en": ("Music paused", "{title}", "Music paused."),
        "zh": ("音乐已暂停", "{title}", "音乐已暂停。"),
    }),
    "music_ended": ("media", 3, 4, False, {
        "en": ("End of the queue", "", "That was the last track."),
        "zh": ("播放列表已结束", "", "已经是最后一首了。"),
    }),
    "music_volume": ("media", 3, 4, False, {
        "en": ("Volume {level}", "", "Volume {level}."),
        "zh": ("音量 {level}", "", "音量{level}。"),
    }),
    "music_refused": ("warning", 5, 5, True, {
        "en": ("Music", "{reason}", "Sorry, {reason}."),
        "zh": ("音乐", "{reason}", "抱歉，{reason}。"),
    }),
    "music_no_player": ("error", 5, 5, True, {
        "en": ("Music player not running", "The music_player node did not answer", "The music player is not running."),
        "zh": ("音乐播放器未运行", "music_player 节点没有响应", "音乐播放器没有运行。"),
    }),
    # -- photo and video: "saved" and "recording" only from the media recorder's result
    "capture_requested": ("info", 3, 5, False, {
        "en": ("{what}…", "", "{what}."),
        "zh": ("{what}…", "", "{what}。"),
    }),
    "video_recording": ("status", 4, 6, False, {
        "en": ("● Recording", "Say \"stop video\" or tap to stop", "Recording."),
        "zh": ("● 录像中", "说“停止录像”或轻触结束", "开始录像。"),
    }),
    "photo_saved": ("media", 6, 6, False, {  # S1 shows the thumbnail; G1 says it
        "en": ("Photo saved", "{size} · {name}", "Photo saved."),
        "zh": ("照片已保存", "{size} · {name}", "照片已保存。"),
    }),
    "video_saved": ("media", 6, 6, False, {
        "en": ("Video saved", "{seconds} s · {name} {reason}", "Video saved, {seconds} seconds."),
        "zh": ("视频已保存", "{seconds}秒 · {name} {reason}", "视频已保存，{seconds}秒。"),
    }),
    "capture_refused": ("warning", 6, 7, True, {
        "en": ("{what} refused", "{reason}", "I can't do that now: {reason}."),
        "zh": ("无法{what}", "{reason}", "现在无法{what}：{reason}。"),
    }),
    "capture_failed": ("error", 6, 7, True, {
        "en": ("{what} failed", "{reason}", "That did not work: {reason}. Nothing was saved."),
        "zh": ("{what}失败", "{reason}", "没有成功：{reason}，没有保存。"),
    }),
    # -- navigation (turn cards are not spoken on S1: the HUD shows them; G1 speaks every reply)
    "nav_start": ("navigation", 10, 6, True, {
        "en": ("Navigating to {destination}", "{distance} · {minutes} min walk",
               "Navigating to {destination}, {distance}, about {minutes} minutes on foot. {instruction}."),
        "zh": ("导航到{destination}", "{distance} · 步行约{minutes}分钟", "开始导航到{destination}，{distance}，步行约{minutes}分钟。{instruction}。"),
    }),
    "nav_turn": ("navigation", 12, 6, False, {
        "en": ("{arrow} {distance}", "{instruction}", "{instruction} in {distance}."),
        "zh": ("{arrow} {distance}", "{instruction}", "{distance}后{instruction}。"),
    }),
    "nav_reroute": ("navigation", 10, 7, True, {
        "en": ("Rerouting", "{distance} · {instruction}", "You left the route. New route, {distance}: {instruction}."),
        "zh": ("重新规划路线", "{distance} · {instruction}", "您已偏离路线，已重新规划，{distance}：{instruction}。"),
    }),
    "nav_arrived": ("navigation", 8, 7, True, {
        "en": ("◎ Arrived", "{destination}", "You have arrived at {destination}."),
        "zh": ("◎ 已到达", "{destination}", "已到达{destination}。"),
    }),
    "nav_waiting": ("info", 8, 5, True, {
        "en": ("Navigation to {destination}", "Waiting for the {what}…", "Finding the way to {destination}, waiting for the {what}."),
        "zh": ("导航到{destination}", "正在等待{what}…", "正在规划去{destination}的路线，等待{what}。"),
    }),
    "nav_gps_lost": ("warning", 8, 6, True, {
        "en": ("GPS signal lost", "Next: {instruction}", "GPS signal lost. Next: {instruction}."),
        "zh": ("GPS信号丢失", "下一步：{instruction}", "GPS信号丢失。下一步：{instruction}。"),
    }),
    "nav_stopped": ("info", 4, 5, True, {
        "en": ("Navigation ended", "{destination}", "Navigation ended."),
        "zh": ("导航已结束", "{destination}", "导航已结束。"),
    }),
    "nav_no_position": ("error", 8, 6, True, {
        "en": ("No GPS position", "Navigation needs a GPS fix", "I can't find your position, so I can't navigate."),
        "zh": ("没有GPS定位", "导航需要GPS定位", "无法获取您的位置，不能导航。"),
    }),
    "nav_no_map": ("error", 8, 6, True, {
        "en": ("Navigation: no map", "{reason}", "Navigation has no map for this area."),
        "zh": ("导航：没有地图", "{reason}", "导航没有这个区域的地图。"),
    }),
    "nav_outside_area": ("error", 8, 6, True, {
        "en": ("Outside the map", "Your position is not in the offline map", "You are outside the offline map."),
        "zh": ("超出地图范围", "您的位置不在离线地图内", "您不在离线地图范围内。"),
    }),
    "nav_no_route": ("error", 8, 6, True, {
        "en": ("No walking route", "{destination}", "I found no walking route to {destination}."),
        "zh": ("没有步行路线", "{destination}", "没有找到去{destination}的步行路线。"),
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
    "subtitle_untranslated": ("subtitle", 6, 4, False, {
        "en": ("Not translated: {pair} needs an LLM", "", "{text}"),
        "zh": ("未翻译：{pair} 需要大模型接口", "", "{text}"),
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
           "map": "地图", "position": "定位", "home": "家", "work": "公司",
           "photo": "拍照", "video_start": "录像", "video_stop": "停止录像", "video": "录像", "photo_noun": "拍照", "video_noun": "录像",
           "not_recording": "没有在录像",
           "storage_low": "存储空间不足", "battery_critical": "电量严重不足", "camera_off": "摄像头已关闭",
           "already_recording": "已经在录像", "busy": "正在拍照", "no_still": "摄像头没有返回照片",
           "no_frames": "没有收到画面", "max_duration": "已达最长时长", "camera_capture_unavailable": "摄像头拍照服务不可用",
           "bad_still": "照片无法解码", "write_failed": "写入失败",
           "music_play": "正在找音乐", "music_pause": "暂停", "music_next": "下一首", "music_volume": "调节音量",
           "walk": "步行", "taxi": "打车", "airport": "机场", "station": "车站",
           "late": "（晚了{min}分钟）", "flight": "航班", "train": "火车", "packs_both": "两块电池",
           "packs_left_only": "只有左电池", "packs_right_only": "只有右电池", "packs_none": "无电池",
           "mode_saver": "省电模式", "mode_critical": "电量危急", "scheduled": "按时", "delayed": "晚点",
           "boarding": "正在登机", "departed": "已出发",
           "last_pack": "最后一块电池", "batteries": "电池", "group_vision": "视觉识别", "group_asr": "语音识别",
           "empty_library": "音乐库里没有歌曲", "no_match": "没有找到“{query}”", "not_playing": "现在没有在播放",
           "claimed_name": "码上名称：{name}（未核实）", "pay": "付款", "buy": "购买", "food": "外卖订单", "ride": "打车",
           "paused": "（已暂停）"},
    "en": {"on_the_way": "on the way", "driver_on_the_way": "driver on the way", "driver_arrived": "driver arrived",
           "on_trip": "on trip", "limit_daily": "daily", "limit_per_payment": "per-payment", "regular": "",
           "map": "map", "position": "GPS position",
           "photo": "Taking a photo", "video_start": "Starting a video", "video_stop": "Stopping the video",
           "video": "video", "photo_noun": "Photo", "video_noun": "Video", "not_recording": "no video is recording", "storage_low": "storage is almost full",
           "battery_critical": "the battery is critical", "camera_off": "the camera is off",
           "already_recording": "a video is already recording", "busy": "a photo is being taken",
           "no_still": "the camera sent no photo", "no_frames": "the camera sent no frames",
           "max_duration": "(longest clip)", "camera_capture_unavailable": "the camera's capture service is not there",
           "bad_still": "the photo could not be decoded", "write_failed": "writing failed",
           "music_play": "Finding the music", "music_pause": "Pausing", "music_next": "Next track",
           "music_volume": "Volume", "late": "({min} min late)", "station": "station", "packs_both": "both packs",
           "packs_left_only": "left pack only", "packs_right_only": "right pack only", "packs_none": "no pack",
           "mode_saver": "· saver mode", "mode_critical": "· critical", "empty_library": "the music library is empty",
           "no_match": "nothing in the library matches \"{query}\"", "not_playing": "nothing is playing",
           "claimed_name": "name on the code: {name} (not verified)", "pay": "the payment", "buy": "the purchase",
           "food": "the food order", "ride": "the taxi", "paused": "(paused)",
           "last_pack": "the last pack", "batteries": "the batteries", "group_vision": "the camera's look-up",
           "group_asr": "speech recognition"},
}  # fmt: skip


def power_notice(notice) -> Reply:
    """The card and speech of a power/notice (glasses_bringup.foundation.events.PowerNotice) in
    ``notice.lang``: the power policy sends facts, the wording lives here with every other card."""
    lang = notice.lang or "en"
    if notice.kind == "battery_low":
        where = word("last_pack" if notice.packs_present <= 1 else "batteries", lang)
        return reply("battery_low", lang, where=where, minutes=max(1, round(notice.runtime_left_h * 60)))
    if notice.kind == "request_refused":
        return reply("power_refused", lang, what=word(f"group_{notice.group}", lang), wh=f"{notice.remaining_wh:.2f}")
    hours = f"{notice.runtime_left_h:.1f}"
    if notice.enough:
        return reply("listening_cost", lang, extra_w=f"{notice.extra_w:.2f}", hours=hours)
    return reply("listening_short", lang, extra_w=f"{notice.extra_w:.2f}", hours=hours, meeting=f"{notice.meeting_h:.1f}")


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


# -- navigation words ---------------------------------------------------------------------

ARROW_TURN_AROUND = "↓"
MANEUVER_WORDS = {  # kind -> (EN with street, EN bare, ZH with street, ZH bare)
    "straight": ("continue on {street}", "continue straight", "沿{street}直行", "直行"),
    "slight_right": ("bear right onto {street}", "bear right", "稍向右进入{street}", "稍向右"),
    "right": ("turn right onto {street}", "turn right", "右转进入{street}", "右转"),
    "sharp_right": ("turn sharp right onto {street}", "turn sharp right", "向右急转进入{street}", "向右急转"),
    "slight_left": ("bear left onto {street}", "bear left", "稍向左进入{street}", "稍向左"),
    "left": ("turn left onto {street}", "turn left", "左转进入{street}", "左转"),
    "sharp_left": ("turn sharp left onto {street}", "turn sharp left", "向左急转进入{street}", "向左急转"),
    "uturn": ("make a U-turn onto {street}", "make a U-turn", "掉头进入{street}", "掉头"),
    "arrive": ("arrive at {street}", "arrive at the destination", "到达{street}", "到达目的地"),
}
COMPASS_WORDS = {"en": ("north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest"),
                 "zh": ("北", "东北", "东", "东南", "南", "西南", "西", "西北")}  # fmt: skip


def distance(metres: float, lang: str) -> str:
    """Walking distance as shown and spoken: 5 m steps below 100 m, 10 m below 1 km, then km."""
    m = max(0.0, float(metres))
    if m >= 1000.0:
        km = f"{m / 1000.0:.1f}"
        return f"{km}公里" if lang == "zh" else f"{km} km"
    value = int(round(m / (5.0 if m < 100.0 else 10.0)) * (5 if m < 100.0 else 10))
    return f"{value}米" if lang == "zh" else f"{value} m"


def nav_instruction(kind: str, street: str, compass: int | None, lang: str, turn_around: bool = False) -> str:
    """Text of one maneuver: "turn left onto Mikonkatu" / "左转进入Mikonkatu"; depart uses the compass."""
    zh = lang == "zh"
    if kind == "depart":
        direction = COMPASS_WORDS["zh" if zh else "en"][compass or 0]
        if zh:
            text = f"向{direction}走" + (f"，沿{street}" if street else "")
            return ("先掉头，" + text) if turn_around else text
        text = f"head {direction}" + (f" on {street}" if street else "")
        text = ("turn around, then " + text) if turn_around else text
        return text[0].upper() + text[1:]
    with_street, bare, zh_street, zh_bare = MANEUVER_WORDS[kind]
    if zh:
        return zh_street.format(street=street) if street else zh_bare
    text = with_street.format(street=street) if street else bare
    return text[0].upper() + text[1:]
