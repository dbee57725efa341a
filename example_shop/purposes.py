"""What the shop asks consent for. These definitions are the single source of the banner, the preferences
page and the cookie table of the privacy policy, so the policy cannot drift from the code (C10)."""

from __future__ import annotations

from flask_consent import Cookie, Purpose

from .i18n import N_


def _t(en: str, hk: str, cn: str) -> dict[str, str]:
    return {"en": en, "zh-HK": hk, "zh-CN": cn}


SHOP_NAME = "Harbour Goods"

PURPOSES: list[Purpose] = [
    Purpose(
        "necessary",
        _t("Strictly necessary", "必要", "必要"),
        _t(
            "Runs the shop: your account and sign-in, the cart, checkout, protection of forms against forgery, "
            "security logs, your language and these choices.",
            "維持網店運作：帳戶及登入、購物車、結帳、防止表格被偽造、保安記錄、語言設定和你的私隱選擇。",
            "维持网店运行：账户及登录、购物车、结账、防止表单被伪造、安全日志、语言设置和你的隐私选择。",
        ),
        required=True,
        vendors=[SHOP_NAME],
        justification=_t(
            "Without these the service you asked for (sign-in, cart, checkout) cannot work and forms could be forged.",
            "沒有這些，你要求的服務（登入、購物車、結帳）無法運作，表格亦可能被偽造。",
            "没有这些，你要求的服务（登录、购物车、结账）无法运行，表单也可能被伪造。",
        ),
    ),
    Purpose(
        "recommendations",
        _t("Personalised recommendations", "個人化推介", "个性化推荐"),
        _t(
            "We record the products you look at and use them, your favourites and your purchases to suggest "
            "products for you.",
            "我們會記錄你瀏覽過的產品，並按此、你的收藏和購買記錄向你推介產品。",
            "我们会记录你浏览过的产品，并据此、你的收藏和购买记录向你推荐产品。",
        ),
        cookies=[Cookie("recs_recent", lifetime=_t("30 days", "30 日", "30 天"),
                        description=_t("The last products you viewed, for the 'recently viewed' row.",
                                       "你最近瀏覽的產品，用於「最近瀏覽」一欄。",
                                       "你最近浏览的产品，用于“最近浏览”一栏。"))],
        vendors=[SHOP_NAME],
        gcm=["personalization_storage"],
        refusal_effect=_t(
            "You see our bestsellers instead, and we keep no record of what you browse.",
            "你會看到暢銷產品，我們亦不會記錄你的瀏覽紀錄。",
            "你会看到畅销产品，我们也不会记录你的浏览记录。",
        ),
        retention=_t("Browsing history: 90 days, or until you withdraw.", "瀏覽紀錄：90 日或直至你撤回同意。",
                     "浏览记录：90 天或直至你撤回同意。"),
    ),
    Purpose(
        "location",
        _t("Nearby goods and offers (location)", "附近貨品及優惠（位置）", "附近商品及优惠（位置）"),
        _t(
            "With your permission your browser tells us where you are, once, to list the nearest stores and "
            "their offers. Your position is used for that one answer and never stored.",
            "經你准許，瀏覽器會把你的位置告訴我們一次，用來列出最近的分店及其優惠。位置只用於該次查詢，不會儲存。",
            "经你准许，浏览器会把你的位置告诉我们一次，用来列出最近的门店及其优惠。位置只用于该次查询，不会保存。",
        ),
        separate=True,
        vendors=[SHOP_NAME],
        why=_t(
            "Your location is sensitive personal information: we ask separately, only when you open Nearby.",
            "位置屬敏感個人資料，所以我們只在你打開「附近」時另行徵求同意。",
            "位置属于敏感个人信息，所以我们只在你打开“附近”时单独征求同意。",
        ),
        refusal_effect=_t(
            "Pick your district by hand on the Stores page: same stores and offers, no location needed.",
            "你可在「分店」頁自選地區，同樣看到分店和優惠，無需位置。",
            "你可在“门店”页自选地区，同样看到门店和优惠，无需位置。",
        ),
    ),
    Purpose(
        "voice_photo_search",
        _t("Voice and photo search", "語音及相片搜尋", "语音及照片搜索"),
        _t(
            "Search by speaking (your browser's speech recognition turns it into text) or by uploading a "
            "photo, which we compare with our products in memory and never store.",
            "以說話（由瀏覽器的語音識別轉成文字）或上載相片搜尋；相片只在記憶體中與產品比對，從不儲存。",
            "以说话（由浏览器的语音识别转成文字）或上传照片搜索；照片只在内存中与产品比对，从不保存。",
        ),
        separate=True,
        vendors=[SHOP_NAME, N_("Your browser's speech recognition service")],
        why=_t(
            "Your voice and photos can identify you: we ask separately, only when you use these searches.",
            "聲音和相片可識別你的身分，所以我們只在你使用這些搜尋時另行徵求同意。",
            "声音和照片可识别你的身份，所以我们只在你使用这些搜索时单独征求同意。",
        ),
        refusal_effect=_t(
            "Text search works as always.", "文字搜尋照常可用。", "文字搜索照常可用。",
        ),
    ),
    Purpose(
        "analytics",
        _t("Site analytics", "網站分析", "网站分析"),
        _t(
            "Our analytics script counts page views with a random visitor id so we can see which pages help.",
            "我們的分析程式以隨機訪客編號計算瀏覽次數，了解哪些頁面有用。",
            "我们的分析脚本以随机访客编号统计浏览次数，了解哪些页面有用。",
        ),
        cookies=[Cookie("_shop_analytics", lifetime=_t("13 months", "13 個月", "13 个月"),
                        description=_t("Random visitor id of the analytics SDK (HttpOnly).",
                                       "分析 SDK 的隨機訪客編號（HttpOnly）。",
                                       "分析 SDK 的随机访客编号（HttpOnly）。"))],
        vendors=[SHOP_NAME],  # our own script and endpoint: no third party
        gcm=["analytics_storage"],
        refusal_effect=_t(
            "The analytics script is not loaded and no page views are counted.",
            "不會載入分析程式，亦不會計算瀏覽。",
            "不会加载分析脚本，也不会统计浏览。",
        ),
        retention=_t("13 months", "13 個月", "13 个月"),
    ),
    Purpose(
        "advertising",
        _t("Direct marketing and advertising", "直接促銷及廣告", "直接营销及广告"),
        _t(
            "An advertising pixel sets an id so our ad partner can show you our offers on other sites and "
            "measure them. We use your data for direct marketing only with this consent.",
            "廣告像素會設定編號，讓廣告夥伴在其他網站向你展示本店優惠並量度成效。只有在你同意下我們才會把你的資料用於直接促銷。",
            "广告像素会设置编号，让广告伙伴在其他网站向你展示本店优惠并衡量效果。只有在你同意下我们才会把你的数据用于直接营销。",
        ),
        cookies=[Cookie("_ads_id", lifetime=_t("90 days", "90 日", "90 天"),
                        description=_t("Ad partner's id.", "廣告夥伴的編號。", "广告伙伴的编号。"))],
        vendors=[N_("Kowloon Ads (stand-in ad network)")],
        gpc_opt_out=True,
        gcm=["ad_storage", "ad_user_data", "ad_personalization"],
        refusal_effect=_t(
            "No advertising pixel, no marketing messages; you still see the same shop and prices.",
            "不會有廣告像素或促銷訊息；商店和價格不變。",
            "不会有广告像素或营销信息；商店和价格不变。",
        ),
    ),
    Purpose(
        "third_party_sharing",
        _t("Sharing with partners for their own offers", "與夥伴分享作其自身優惠用途", "与伙伴共享用于其自身优惠"),
        _t(
            "At checkout you may share the order (items, your email and district) with partner shops that "
            "use it for their own offers. They become responsible for it.",
            "結帳時你可把訂單（貨品、電郵及地區）分享給合作商店，作其自身優惠用途，並由其負責。",
            "结账时你可把订单（商品、邮箱及地区）共享给合作商店，用于其自身优惠，并由其负责。",
        ),
        vendors=[N_("Lantau Partner Offers (stand-in affiliate)")],
        gpc_opt_out=True,
        refusal_effect=_t(
            "Nothing is shared; your order goes through exactly the same.",
            "不會分享任何資料；你的訂單照常處理。",
            "不会共享任何数据；你的订单照常处理。",
        ),
    ),
    Purpose(
        "social_embeds",
        _t("Live broadcasts and social embeds", "直播及社交嵌入內容", "直播及社交嵌入内容"),
        _t(
            "Shows the live-broadcast player of our community partner, which sets its own viewer cookie.",
            "顯示社群夥伴的直播播放器，播放器會設定其觀眾 Cookie。",
            "显示社区伙伴的直播播放器，播放器会设置其观众 Cookie。",
        ),
        cookies=[Cookie("_live_viewer", lifetime=_t("session", "瀏覽期間", "会话期间"),
                        description=_t("The player's viewer id.", "播放器的觀眾編號。", "播放器的观众编号。"))],
        vendors=[N_("Harbour Live (stand-in broadcast player)")],
        refusal_effect=_t(
            "A placeholder shows where the player would be, with a button to allow it.",
            "會顯示預留位置及「允許」按鈕。",
            "会显示占位区域及“允许”按钮。",
        ),
    ),
]
