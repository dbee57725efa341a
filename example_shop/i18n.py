"""The shop's own interface strings in English, Traditional Chinese (Hong Kong) and Simplified Chinese,
and the locale selector handed to the consent extension (``CONSENT_LOCALE_SELECTOR``)."""

from __future__ import annotations

from flask import current_app, session

LANGUAGES: dict[str, str] = {"en": "English", "zh-HK": "繁體中文", "zh-CN": "简体中文"}

_S: dict[str, tuple[str, str, str]] = {
    "skip": ("Skip to content", "跳至內容", "跳至内容"),
    "shop": ("Shop", "商店", "商店"),
    "products": ("Products", "產品", "产品"),
    "search": ("Search", "搜尋", "搜索"),
    "search_label": ("Search products", "搜尋產品", "搜索产品"),
    "voice_photo": ("Voice & photo search", "語音及相片搜尋", "语音及照片搜索"),
    "nearby": ("Nearby", "附近", "附近"),
    "stores": ("Stores", "分店", "门店"),
    "cart": ("Cart", "購物車", "购物车"),
    "favourites": ("Favourites", "收藏", "收藏"),
    "account": ("Account", "帳戶", "账户"),
    "login": ("Sign in", "登入", "登录"),
    "logout": ("Sign out", "登出", "退出"),
    "register": ("Register", "註冊", "注册"),
    "privacy": ("Privacy centre", "私隱中心", "隐私中心"),
    "policy": ("Privacy policy", "私隱政策", "隐私政策"),
    "admin": ("Admin", "管理", "管理"),
    "language": ("Language", "語言", "语言"),
    "main_nav": ("Main", "主選單", "主菜单"),
    "welcome": ("Everyday goods from Hong Kong", "香港日常好物", "香港日常好物"),
    "recommended": ("Recommended for you", "為你推介", "为你推荐"),
    "bestsellers": ("Bestsellers", "暢銷產品", "畅销产品"),
    "bestsellers_note": ("Not personalised: the same for everyone.", "非個人化：人人相同。", "非个性化：人人相同。"),
    "personalised_note": ("Based on what you viewed, your favourites and purchases (you allowed this).",
                          "根據你的瀏覽、收藏和購買（你已同意）。", "根据你的浏览、收藏和购买（你已同意）。"),
    "recent": ("Recently viewed", "最近瀏覽", "最近浏览"),
    "categories": ("Categories", "類別", "类别"),
    "all_products": ("All products", "所有產品", "所有产品"),
    "live": ("Live from our Sham Shui Po workshop", "深水埗工作室直播", "深水埗工作室直播"),
    "add_to_cart": ("Add to cart", "加入購物車", "加入购物车"),
    "add_favourite": ("Add to favourites", "加入收藏", "加入收藏"),
    "remove_favourite": ("Remove from favourites", "移除收藏", "移除收藏"),
    "reviews": ("Reviews", "評論", "评论"),
    "write_review": ("Write a review", "撰寫評論", "撰写评论"),
    "checkout": ("Checkout", "結帳", "结账"),
    "order_placed": ("Thank you for your order", "多謝你的訂單", "感谢你的订单"),
    "profile": ("Your profile", "個人資料", "个人资料"),
    "orders": ("Your orders", "你的訂單", "你的订单"),
    "nearby_title": ("Nearby goods and offers", "附近貨品及優惠", "附近商品及优惠"),
    "stores_title": ("Our stores and offers", "分店及優惠", "门店及优惠"),
    "policy_title": ("Privacy policy", "私隱政策", "隐私政策"),
    "privacy_title": ("Privacy centre", "私隱中心", "隐私中心"),
    "your_choices": ("Your choices", "你的選擇", "你的选择"),
    "change_choices": ("Change your choices", "更改你的選擇", "更改你的选择"),
    "consent_history": ("Your consent history", "你的同意紀錄", "你的同意记录"),
    "download": ("Download my data", "下載我的資料", "下载我的数据"),
    "data_requests": ("Data requests", "資料要求", "数据请求"),
    "cancel_account": ("Cancel my account", "取消帳戶", "注销账户"),
    "requests_admin": ("Open data requests", "未完成的資料要求", "未完成的数据请求"),
    "voice_title": ("Voice search", "語音搜尋", "语音搜索"),
    "photo_title": ("Photo search", "相片搜尋", "照片搜索"),
    "results": ("Results", "結果", "结果"),
    "not_found": ("Page not found", "找不到頁面", "找不到页面"),
    "quantity": ("Quantity", "數量", "数量"),
    "update": ("Update", "更新", "更新"),
    "total": ("Total", "總額", "总额"),
    "cart_empty": ("Your cart is empty.", "購物車是空的。", "购物车是空的。"),
    "no_reviews": ("No reviews yet.", "暫時未有評論。", "暂时没有评论。"),
    "place_order": ("Place order", "落單", "下单"),
    "consignee": ("Consignee", "收件人", "收件人"),
    "address": ("Delivery address", "送貨地址", "送货地址"),
    "phone": ("Phone", "電話", "电话"),
    "email": ("E-mail", "電郵", "邮箱"),
    "password": ("Password", "密碼", "密码"),
    "name": ("Name", "姓名", "姓名"),
    "show_stores": ("Show stores", "顯示分店", "显示门店"),
    "district": ("District", "地區", "地区"),
    "all_districts": ("All districts", "所有地區", "所有地区"),
    "find_near_me": ("Find stores near me", "尋找附近分店", "查找附近门店"),
}


def current_locale() -> str:
    """The locale of this request, as the consent extension chose it (session, then Accept-Language)."""
    return str(current_app.extensions["consent"].locale())


def select_locale() -> str | None:
    """``CONSENT_LOCALE_SELECTOR``: the language the visitor picked with the switch, kept in the session."""
    lang = session.get("lang")
    return lang if lang in LANGUAGES else None


def tr(key: str) -> str:
    """The shop string ``key`` in this request's language."""
    en, hk, cn = _S[key]
    return {"zh-HK": hk, "zh-CN": cn}.get(current_locale(), en)
