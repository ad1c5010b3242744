#include "source-connector/synthetic.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/timestamp.pb.h"

#ifndef TWEETSTREAM_VERSION
#define TWEETSTREAM_VERSION "unknown"
#endif

namespace tweetstream::source {
namespace {

namespace pb = tweetstream::tweet::v1;

// Twitter's snowflake epoch (2010-11-04T01:42:54.657Z), in Unix milliseconds.
constexpr int64_t kSnowflakeEpochMs = 1288834974657;
// Envelope ids use worker ids [0, 512); referenced tweets and media use [512, 1024).
constexpr uint32_t kWorkerHalf = 512;
constexpr int32_t kMaxCps = SyntheticTweets::kMaxTextCodePoints;

// ---------------------------------------------------------------------------------------------------
// Randomness. splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and its output is fully specified, so a
// seed gives the same stream everywhere. Ranges are mapped with integer arithmetic only.
// ---------------------------------------------------------------------------------------------------
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n) (multiply-shift; the bias is below 2^-32). n > 0.
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(((Next() >> 32) * n) >> 32); }
  // Uniform index into a container of `n` elements.
  size_t Index(size_t n) { return Below(static_cast<uint32_t>(n)); }
  // Uniform in [lo, hi], for wide ranges.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  // True with probability per_mille / 1000.
  bool Chance(uint32_t per_mille) { return Below(1000) < per_mille; }
  // An index skewed towards 0 (P(i) ~ ln(n / i) / n): "a few are picked much more often".
  size_t Skewed(size_t n) { return Index(Index(n) + 1); }

  // A count with a power-law tail: the binary exponent starts at min_exp and grows by one with
  // probability continue_per_mille / 1000 (at most max_exp); the value is uniform in [2^k, 2^(k+1)),
  // shifted so that the smallest possible value is 0.
  int64_t Heavy(int min_exp, uint32_t continue_per_mille, int max_exp) {
    int k = min_exp;
    while (k < max_exp && Chance(continue_per_mille)) ++k;
    const int64_t base = int64_t{1} << k;
    return base + static_cast<int64_t>(Next() & static_cast<uint64_t>(base - 1)) - (int64_t{1} << min_exp);
  }

 private:
  uint64_t state_;
};

int32_t CodePoints(std::string_view text) {
  int32_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

int BitWidth(int64_t v) {
  int n = 0;
  while (v > 0) {
    ++n;
    v >>= 1;
  }
  return n;
}

// A piece of text with its length in code points, computed once.
struct Word {
  std::string_view text;
  int32_t cps = 0;
};

std::vector<Word> Words(std::initializer_list<std::string_view> list) {
  std::vector<Word> words;
  words.reserve(list.size());
  for (std::string_view w : list) words.push_back({w, CodePoints(w)});
  return words;
}

// ---------------------------------------------------------------------------------------------------
// The lexicon: languages with their words, hashtags, emoji, names, places. Built once per process.
// ---------------------------------------------------------------------------------------------------

enum Script { kLatin, kJapanese, kArabic, kDevanagari, kHangul, kCyrillic, kNickname, kScriptCount };

struct LanguageSpec {
  std::string_view code;
  uint32_t weight = 0;  // share of tweets and users, per mille
  bool spaced = true;   // words separated by spaces (Japanese is written without)
  Script script = kLatin;
  std::vector<Word> words;
  std::vector<Word> ends;                 // sentence punctuation, attached to the previous word
  std::vector<std::string_view> local_tags;  // hashtags popular in this language
  std::vector<std::string_view> domains;     // sites linked from this language
};

struct PlaceSpec {
  std::string_view full_name, name, country, country_code, place_type;
  double west, south, east, north;
  int lang;  // index of the language spoken there
};

struct Lexicon {
  std::vector<LanguageSpec> languages;
  std::vector<uint32_t> language_cumulative;
  std::vector<Word> tags;                // every hashtag (without '#'): global ones first
  size_t global_tags = 0;                // tags[0, global_tags) are drawn by Zipf popularity
  std::vector<uint32_t> tag_cumulative;  // Zipf weights of the global tags, cumulative
  std::vector<std::vector<int32_t>> local_tags;  // per language: indices into tags
  std::vector<Word> emoji;
  std::vector<Word> escapes;  // already HTML-escaped
  std::vector<std::string_view> handles;
  std::vector<std::string_view> given[kScriptCount];
  std::vector<std::string_view> family[kScriptCount];
  std::vector<PlaceSpec> places;
};

enum Lang { kEn, kJa, kEs, kPt, kAr, kFr, kDe, kKo, kHi, kRu, kUnd };

Lexicon BuildLexicon() {
  Lexicon lex;
  auto add = [&lex](std::string_view code, uint32_t weight, bool spaced, Script script,
                    std::initializer_list<std::string_view> words, std::initializer_list<std::string_view> ends,
                    std::initializer_list<std::string_view> local_tags,
                    std::initializer_list<std::string_view> domains) {
    LanguageSpec spec;
    spec.code = code;
    spec.weight = weight;
    spec.spaced = spaced;
    spec.script = script;
    spec.words = Words(words);
    spec.ends = Words(ends);
    spec.local_tags = local_tags;
    spec.domains = domains;
    lex.languages.push_back(std::move(spec));
  };
  // Order matches enum Lang.
  add("en", 380, true, kLatin,
      {"just", "finally", "the", "new", "release", "is", "out", "can't believe", "this", "game", "was",
       "amazing", "today", "coffee", "first", "morning", "meeting", "again", "weekend", "vibes", "who else",
       "is watching", "the build", "failed", "shipping", "it", "love", "my team", "happy birthday", "to",
       "best friend", "what a goal", "thread", "on", "why", "the data", "says", "otherwise", "lol", "honestly",
       "tbh", "rain", "in London", "traffic", "is insane", "breaking news", "check out", "our latest",
       "blog post", "thanks", "everyone", "for coming", "hot take", "tabs vs spaces", "deploy on Friday",
       "nobody", "asked", "but", "here we go", "so proud of", "the whole", "crew", "can we talk about",
       "that ending", "new episode", "tonight", "I'm", "not ready", "big news", "coming soon", "stay tuned"},
      {".", "!", "?", "!!", "...", "?!"}, {"London", "NYC", "BBCNews", "MarchMadness", "GameOfThrones"},
      {"github.com", "www.nytimes.com", "www.bbc.co.uk", "youtu.be", "medium.com", "www.theverge.com"});
  add("ja", 150, false, kJapanese,
      {"今日は", "本当に", "楽しかった", "ありがとう", "ございます", "東京", "ラーメン", "食べた", "新しい",
       "発表", "されました", "かわいい", "天気", "いい", "雨", "週末", "仕事", "終わった", "疲れた", "明日",
       "また", "頑張ります", "ゲーム", "アニメ", "最高", "すごい", "コーヒー", "電車", "遅延", "桜", "満開",
       "猫", "ライブ", "行ってきた", "推し", "尊い", "おはよう", "おやすみ", "限定", "グッズ", "ゲット"},
      {"。", "！", "、", "w", "笑", "…"}, {"拡散希望", "東京", "今日の一枚", "おはようございます", "ゲーム", "アニメ好きと繋がりたい"},
      {"www3.nhk.or.jp", "news.yahoo.co.jp", "www.nicovideo.jp", "youtu.be"});
  add("es", 100, true, kLatin,
      {"hoy", "por fin", "qué", "partido", "increíble", "mañana", "café", "con leche", "en", "Madrid",
       "niño", "año", "nuevo", "¡vamos!", "¿alguien", "sabe?", "gracias", "fútbol", "corazón", "canción",
       "también", "más", "señor", "jamás", "la", "playa", "el", "concierto", "de anoche", "fue", "brutal",
       "no puedo más", "qué calor", "feliz", "cumpleaños", "mi", "equipo", "golazo"},
      {".", "!", "?", "!!", "..."}, {"LaLiga", "Madrid", "FelizLunes", "España", "AñoNuevo"},
      {"elpais.com", "www.marca.com", "www.youtube.com", "www.clarin.com"});
  add("pt", 70, true, kLatin,
      {"hoje", "finalmente", "não", "acredito", "que", "jogo", "incrível", "em São Paulo", "coração", "ação",
       "manhã", "pão de queijo", "obrigado", "obrigada", "você", "também", "saudade", "praia", "futebol",
       "é", "demais", "Brasil", "eleição", "vovó", "bom dia", "galera", "show", "ontem", "foi", "lindo",
       "alguém", "sabe", "trânsito", "caótico"},
      {".", "!", "?", "!!", "kkkk"}, {"Brasil", "BBB24", "Flamengo", "SãoPaulo", "Futebol"},
      {"g1.globo.com", "www.uol.com.br", "www.folha.uol.com.br", "youtu.be"});
  add("ar", 50, true, kArabic,
      {"اليوم", "الحمد لله", "جميل", "جدا", "مباراة", "رائعة", "صباح الخير", "القهوة", "الرياض", "دبي",
       "القاهرة", "شكرا", "للجميع", "إن شاء الله", "عيد", "مبارك", "الطقس", "حار", "العمل", "أخبار", "عاجل",
       "كرة القدم", "مع", "في", "من", "على", "الأصدقاء", "جمعة مباركة", "مساء الخير"},
      {".", "!", "؟", "،", "!!"}, {"السعودية", "عاجل", "مصر", "رمضان_كريم", "الهلال"},
      {"www.aljazeera.net", "www.alarabiya.net", "www.youm7.com"});
  add("fr", 40, true, kLatin,
      {"aujourd'hui", "enfin", "le", "week-end", "café", "crème", "très", "génial", "à Paris", "il pleut",
       "encore", "grève", "du métro", "élection", "ça", "marche", "bonne", "journée", "où", "est", "la fête",
       "garçon", "cœur", "Noël", "forêt", "déjà", "vu", "merci", "beaucoup", "à bientôt", "quelle", "soirée",
       "on", "se", "voit", "demain"},
      {".", " !", " ?", "...", " !!"}, {"Paris2024", "Ligue1", "Français", "Grève", "Macron"},
      {"www.lemonde.fr", "www.lefigaro.fr", "www.liberation.fr", "youtu.be"});
  add("de", 40, true, kLatin,
      {"heute", "endlich", "wieder", "Wochenende", "schönes", "Wetter", "in Berlin", "Fußball", "ist",
       "einfach", "großartig", "Grüße", "aus", "München", "Kaffee", "und", "Kuchen", "die Bahn", "hat",
       "Verspätung", "mal wieder", "Straße", "gesperrt", "Tschüss", "Glückwunsch", "zum", "Geburtstag", "ich",
       "bin", "müde", "Feierabend", "was für ein Spiel", "übrigens", "Brötchen", "Grüß Gott", "Biergarten"},
      {".", "!", "?", "!!", "..."}, {"Fußball", "Bundesliga", "Tatort", "München", "Energiewende"},
      {"www.spiegel.de", "www.zeit.de", "www.tagesschau.de", "www.heise.de"});
  add("ko", 40, true, kHangul,
      {"오늘", "날씨", "정말", "좋다", "커피", "한잔", "서울", "맛집", "추천", "감사합니다", "주말", "영화",
       "봤어요", "새로운", "앨범", "최고", "대박", "축구", "경기", "퇴근", "하고", "싶다", "내일", "만나요",
       "사랑해", "ㅋㅋㅋ", "ㅠㅠ", "드디어", "출시", "콘서트", "다녀왔어요"},
      {".", "!", "?", "~", "!!"}, {"맛집", "서울", "방탄소년단", "오늘의_코디", "KBO"},
      {"n.news.naver.com", "www.chosun.com", "www.youtube.com"});
  add("hi", 30, true, kDevanagari,
      {"आज", "बहुत", "अच्छा", "दिन", "है", "क्रिकेट", "मैच", "शानदार", "धन्यवाद", "सभी", "को", "नमस्ते",
       "दिल्ली", "मुंबई", "बारिश", "चाय", "खबर", "नया", "गाना", "भारत", "जीत", "गया", "दोस्तों", "के",
       "साथ", "मज़ा", "आया", "परिवार", "त्योहार", "दिवाली", "शुभकामनाएं"},
      {"।", "!", "?", "!!"}, {"भारत", "क्रिकेट", "दिवाली", "IPL2024", "मुंबई"},
      {"www.ndtv.com", "www.bhaskar.com", "www.youtube.com"});
  add("ru", 30, true, kCyrillic,
      {"сегодня", "наконец", "отличная", "погода", "в Москве", "кофе", "и", "работа", "спасибо", "всем",
       "друзья", "новый", "проект", "матч", "был", "огонь", "выходные", "ёлка", "пятница", "метро", "опять",
       "снег", "привет", "как", "дела", "Петербург", "лето", "жара", "ну", "вот", "почему"},
      {".", "!", "?", "!!", "..."}, {"Россия", "Москва", "футбол", "СПб", "новости"},
      {"ria.ru", "www.kommersant.ru", "habr.com"});
  add("und", 70, true, kNickname,
      {"!!!", "???", "...", "\U0001F440", "10/10", "2024", "ok", "\U0001F602\U0001F602", "\U0001F525\U0001F525",
       "\U0001F4AF", "+1", ":)", "^^", "xD", "w", "gg", "\u2026", "omg", "\U0001F64F\U0001F3FC", "5/5"},
      {"!", "?"}, {}, {"youtu.be", "www.instagram.com", "open.spotify.com"});
  uint32_t total = 0;
  for (const LanguageSpec& spec : lex.languages) lex.language_cumulative.push_back(total += spec.weight);

  // Hashtags: the global pool, most popular first (drawn with weights 1/rank), then every language's own.
  for (std::string_view tag :
       {"AI", "WorldCup", "Bitcoin", "NBA", "Eurovision", "F1", "BTS", "100DaysOfCode", "ClimateAction",
        "Netflix", "ChampionsLeague", "Olympics", "ChatGPT", "crypto", "MondayMotivation", "anime", "KPop",
        "Pokémon", "Python", "Rust", "gamedev", "Kafka", "Elasticsearch", "OpenSource", "DevOps", "Cricket",
        "ThrowbackThursday", "FridayFeeling", "Photography", "travel", "foodie", "music", "NewMusicFriday",
        "Election2024", "breaking", "StarWars", "Marvel", "Wimbledon", "TourDeFrance", "SuperBowl", "cpp",
        "Linux", "cybersecurity", "MachineLearning", "WWDC", "Android", "Café", "NASA", "SpaceX", "Taylor_Swift"}) {
    lex.tags.push_back({tag, CodePoints(tag)});
  }
  lex.global_tags = lex.tags.size();
  total = 0;
  for (size_t rank = 0; rank < lex.global_tags; ++rank) {
    lex.tag_cumulative.push_back(total += static_cast<uint32_t>(1000000 / (rank + 1)));
  }
  for (const LanguageSpec& spec : lex.languages) {
    std::vector<int32_t> local;
    for (std::string_view tag : spec.local_tags) {
      local.push_back(static_cast<int32_t>(lex.tags.size()));
      lex.tags.push_back({tag, CodePoints(tag)});
    }
    lex.local_tags.push_back(std::move(local));
  }

  // Emoji, most frequent first: non-BMP, variation selectors, skin tones, flags and ZWJ sequences.
  lex.emoji = Words({
      "\U0001F602",                                  // 😂
      "\u2764\uFE0F",                                // ❤️
      "\U0001F525",                                  // 🔥
      "\U0001F680",                                  // 🚀
      "\U0001F62D",                                  // 😭
      "\U0001F64F",                                  // 🙏
      "\U0001F440",                                  // 👀
      "\u2728",                                      // ✨
      "\U0001F923",                                  // 🤣
      "\U0001F389",                                  // 🎉
      "\U0001F44D",                                  // 👍
      "\U0001F60D",                                  // 😍
      "\U0001F4AF",                                  // 💯
      "\U0001F914",                                  // 🤔
      "\U0001F605",                                  // 😅
      "\U0001F941",                                  // 🥁
      "\U0001F44D\U0001F3FD",                        // 👍🏽
      "\U0001F64C\U0001F3FE",                        // 🙌🏾
      "\U0001F1E9\U0001F1EA",                        // 🇩🇪
      "\U0001F1EF\U0001F1F5",                        // 🇯🇵
      "\U0001F1E7\U0001F1F7",                        // 🇧🇷
      "\U0001F1EB\U0001F1F7",                        // 🇫🇷
      "\U0001F1F0\U0001F1F7",                        // 🇰🇷
      "\U0001F1EE\U0001F1F3",                        // 🇮🇳
      "\U0001F1F8\U0001F1E6",                        // 🇸🇦
      "\U0001F1EA\U0001F1F8",                        // 🇪🇸
      "\U0001F1FA\U0001F1E6",                        // 🇺🇦
      "\U0001F469\u200D\U0001F4BB",                  // 👩‍💻
      "\U0001F468\u200D\U0001F469\u200D\U0001F467",  // 👨‍👩‍👧
      "\U0001F3F3\uFE0F\u200D\U0001F308",            // 🏳️‍🌈
      "\U0001F9D1\U0001F3FD\u200D\U0001F680",        // 🧑🏽‍🚀
      "\u2764\uFE0F\u200D\U0001F525",                // ❤️‍🔥
      "\U0001F62E\u200D\U0001F4A8",                  // 😮‍💨
      "1\uFE0F\u20E3",                               // 1️⃣
      "\U0001FAE0",                                  // 🫠
      "\U0001F979",                                  // 🥹
      "\U0001F643",                                  // 🙃
      "\U0001F480",                                  // 💀
      "\U0001F327\uFE0F",                            // 🌧️
      "\U0001F431",                                  // 🐱
      "\U0001F35C",                                  // 🍜
      "\U0001F3B6",                                  // 🎶
      "\u26BD",                                      // ⚽
      "\u2615",                                      // ☕
      "\u26A1",                                      // ⚡
      "\u2705",                                      // ✅
      "\U0001F44F",                                  // 👏
  });
  lex.escapes = Words({"&amp;", "Q&amp;A", "R&amp;D", "&lt;3", "-&gt;", "&lt;&lt;", "&gt;&gt;", "AT&amp;T",
                       "1 &lt; 2", "&lt;/rant&gt;", "&gt;_&lt;", "salt &amp; pepper"});

  lex.handles = {"alex", "maria", "kenji", "yuki", "ahmed", "priya", "minji", "ivan", "sofia", "lucas",
                 "emma", "jonas", "chloe", "diego", "ana", "haruto", "fatima", "arjun", "jisoo", "olga",
                 "sam", "leo", "nina", "omar", "mei", "raj", "hana", "max", "lena", "tom", "zoe", "kai",
                 "dev", "pixel", "coffee", "night", "retro", "data", "cloud", "moon", "sun", "cat", "jazz",
                 "code", "rust", "kafka", "byte", "lofi", "tokyo", "rio", "paris", "berlin", "seoul", "cairo"};
  lex.given[kLatin] = {"Emma", "Liam", "Olivia", "Noah", "Sophie", "Lukas", "Léa", "Chloé", "Zoë", "José",
                       "María", "Sofía", "João", "Conceição", "Jürgen", "Björn", "Mónica", "François", "Inês",
                       "Sebastián", "Ava", "Mateo", "Hannah", "Élodie"};
  lex.family[kLatin] = {"Smith", "Müller", "Schröder", "Dubois", "Lefèvre", "García", "Núñez", "Silva",
                        "Gonçalves", "Johnson", "O'Brien", "Weiß", "Martínez", "Brontë", "Rossi", "Nowak"};
  lex.given[kJapanese] = {"花子", "太郎", "結衣", "陽翔", "さくら", "ゆうき", "ハルカ", "蓮", "美咲", "翔太"};
  lex.family[kJapanese] = {"佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林"};
  lex.given[kArabic] = {"محمد", "أحمد", "فاطمة", "نورة", "عبدالله", "سارة", "خالد", "ليلى", "يوسف"};
  lex.family[kArabic] = {"العتيبي", "الحربي", "المصري", "حداد", "الشمري", "القحطاني"};
  lex.given[kDevanagari] = {"राहुल", "प्रिया", "अमित", "अनन्या", "विक्रम", "पूजा", "अर्जुन", "नेहा"};
  lex.family[kDevanagari] = {"शर्मा", "वर्मा", "गुप्ता", "सिंह", "पटेल", "जोशी"};
  lex.given[kHangul] = {"민준", "서연", "지우", "하은", "도윤", "수빈", "지민", "예린"};
  lex.family[kHangul] = {"김", "이", "박", "최", "정", "강"};
  lex.given[kCyrillic] = {"Иван", "Анна", "Дмитрий", "Ольга", "Сергей", "Наталья", "Алексей", "Юлия"};
  lex.family[kCyrillic] = {"Иванов", "Смирнова", "Кузнецов", "Попова", "Соколов", "Морозова", "Волков"};
  lex.given[kNickname] = {"luna", "pixel", "nova", "echo", "kiwi", "mochi", "zen", "bytes", "vibes", "sol"};
  lex.family[kNickname] = {"\U0001F319", "\u2728", "\U0001F338", "\U0001F3AE", "\U0001F43E", "\U0001F308"};

  lex.places = {
      {"Manhattan, NY", "Manhattan", "United States", "US", "city", -74.026675, 40.683935, -73.910408, 40.877483, kEn},
      {"London, England", "London", "United Kingdom", "GB", "city", -0.510375, 51.28676, 0.334015, 51.691874, kEn},
      {"San Francisco, CA", "San Francisco", "United States", "US", "city", -122.514926, 37.708075, -122.357031, 37.833238, kEn},
      {"東京 新宿区", "新宿区", "日本", "JP", "city", 139.67295, 35.67503, 139.74517, 35.72991, kJa},
      {"大阪市, 大阪府", "大阪市", "日本", "JP", "city", 135.3718, 34.5686, 135.5771, 34.7581, kJa},
      {"Madrid, España", "Madrid", "España", "ES", "city", -3.888959, 40.31207, -3.517818, 40.643313, kEs},
      {"Ciudad de México, México", "Ciudad de México", "México", "MX", "city", -99.3649, 19.0482, -98.9403, 19.5927, kEs},
      {"São Paulo, Brasil", "São Paulo", "Brasil", "BR", "city", -46.826039, -24.008814, -46.365052, -23.356792, kPt},
      {"Lisboa, Portugal", "Lisboa", "Portugal", "PT", "city", -9.230077, 38.691606, -9.086877, 38.796148, kPt},
      {"الرياض, المملكة العربية السعودية", "الرياض", "المملكة العربية السعودية", "SA", "city", 46.5423, 24.4255, 46.9453, 24.9989, kAr},
      {"القاهرة, مصر", "القاهرة", "مصر", "EG", "city", 31.1174, 29.9511, 31.5434, 30.1599, kAr},
      {"Paris, France", "Paris", "France", "FR", "city", 2.224101, 48.815573, 2.469905, 48.902146, kFr},
      {"Montréal, Québec", "Montréal", "Canada", "CA", "city", -73.974212, 45.410095, -73.476537, 45.705441, kFr},
      {"Berlin, Deutschland", "Berlin", "Deutschland", "DE", "city", 13.088304, 52.338079, 13.760909, 52.675323, kDe},
      {"München, Bayern", "München", "Deutschland", "DE", "city", 11.360589, 48.061596, 11.722918, 48.248216, kDe},
      {"서울특별시, 대한민국", "서울특별시", "대한민국", "KR", "admin", 126.764, 37.4284, 127.1838, 37.7014, kKo},
      {"मुंबई, भारत", "मुंबई", "भारत", "IN", "city", 72.7757, 18.8928, 72.9864, 19.2705, kHi},
      {"New Delhi, India", "New Delhi", "India", "IN", "city", 77.0688, 28.4042, 77.3475, 28.8835, kHi},
      {"Москва, Россия", "Москва", "Россия", "RU", "city", 37.319, 55.4899, 37.9457, 55.9576, kRu},
      {"Wembley Stadium", "Wembley Stadium", "United Kingdom", "GB", "poi", -0.279583, 51.555804, -0.279583, 51.555804, kUnd},
  };
  return lex;
}

const Lexicon& TheLexicon() {
  static const Lexicon* const kLexicon = new Lexicon(BuildLexicon());
  return *kLexicon;
}

// ---------------------------------------------------------------------------------------------------
// Text with its entities. Every append is a segment that knows its byte and code-point range, so
// entity offsets are exact by construction and a retweet can copy whole segments of the original.
// ---------------------------------------------------------------------------------------------------

enum class SegKind : uint8_t { kText, kHashtag, kMention, kUrl };

struct Segment {
  uint32_t byte_begin = 0;
  uint32_t byte_end = 0;
  int32_t cp_begin = 0;
  int32_t cp_end = 0;
  SegKind kind = SegKind::kText;
  int32_t ref = -1;  // hashtag: index into Lexicon::tags; mention: user index; url: index into urls
};

struct UrlEntry {
  std::string url;       // t.co
  std::string expanded;
  std::string display;
  std::string media_key;  // set on the url of attached media
};

class TextBuilder {
 public:
  void Clear() {
    text_.clear();
    cps_ = 0;
    segments_.clear();
    urls_used_ = 0;
  }

  const std::string& text() const { return text_; }
  int32_t cps() const { return cps_; }
  const std::vector<Segment>& segments() const { return segments_; }
  const UrlEntry& url(int32_t i) const { return urls_[static_cast<size_t>(i)]; }
  bool empty() const { return text_.empty(); }
  bool EndsWithSpace() const { return !text_.empty() && text_.back() == ' '; }

  void Append(std::string_view piece, int32_t cps, SegKind kind = SegKind::kText, int32_t ref = -1) {
    Segment& seg = Open(kind, ref);
    text_.append(piece.data(), piece.size());
    Close(seg, cps);
  }
  // '#' or '@' followed by `body`.
  void AppendPrefixed(char prefix, std::string_view body, int32_t body_cps, SegKind kind, int32_t ref) {
    Segment& seg = Open(kind, ref);
    text_.push_back(prefix);
    text_.append(body.data(), body.size());
    Close(seg, body_cps + 1);
  }
  // A fresh url entry (strings cleared, capacity kept); its index is what AppendUrl takes.
  int32_t NewUrl(UrlEntry** entry) {
    if (urls_used_ == urls_.size()) urls_.emplace_back();
    UrlEntry& u = urls_[urls_used_];
    u.url.clear();
    u.expanded.clear();
    u.display.clear();
    u.media_key.clear();
    *entry = &u;
    return static_cast<int32_t>(urls_used_++);
  }
  void AppendUrl(int32_t index) {
    const std::string& url = urls_[static_cast<size_t>(index)].url;
    Append(url, static_cast<int32_t>(url.size()), SegKind::kUrl, index);  // t.co urls are ASCII
  }
  // Copies one segment of `from` (with its url entry).
  void CopySegment(const TextBuilder& from, const Segment& seg) {
    int32_t ref = seg.ref;
    if (seg.kind == SegKind::kUrl) {
      UrlEntry* copy = nullptr;
      ref = NewUrl(&copy);
      *copy = from.url(seg.ref);
    }
    Segment& mine = Open(seg.kind, ref);
    text_.append(from.text_, seg.byte_begin, seg.byte_end - seg.byte_begin);
    Close(mine, seg.cp_end - seg.cp_begin);
  }

 private:
  Segment& Open(SegKind kind, int32_t ref) {
    Segment& seg = segments_.emplace_back();
    seg.byte_begin = static_cast<uint32_t>(text_.size());
    seg.cp_begin = cps_;
    seg.kind = kind;
    seg.ref = ref;
    return seg;
  }
  void Close(Segment& seg, int32_t cps) {
    cps_ += cps;
    seg.byte_end = static_cast<uint32_t>(text_.size());
    seg.cp_end = cps_;
  }

  std::string text_;
  int32_t cps_ = 0;
  std::vector<Segment> segments_;
  std::vector<UrlEntry> urls_;
  size_t urls_used_ = 0;
};

// What a text should contain.
struct TextPlan {
  int32_t target = 0;  // desired length in code points
  int32_t cap = kMaxCps;  // hard limit (what the caller appends afterwards already subtracted)
  int hashtags = 0;
  int mentions = 0;
  bool url = false;
  bool escape = false;
  uint32_t emoji_per_mille = 0;  // chance that a piece is an emoji
};

void SetTime(int64_t unix_ms, google::protobuf::Timestamp* ts) {
  int64_t seconds = unix_ms / 1000;
  int64_t millis = unix_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(millis * 1000000));
}

// Decimal digits of `value` into `buf` (at least 20 chars); returns the view.
std::string_view Digits(int64_t value, char* buf, size_t size) {
  auto [end, ec] = std::to_chars(buf, buf + size, value);
  (void)ec;  // 24 chars always fit an int64
  return std::string_view(buf, static_cast<size_t>(end - buf));
}

// Abseil 20220623's StrCat takes absl::string_view, which is not std::string_view here.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

constexpr std::string_view kAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

}  // namespace

// ---------------------------------------------------------------------------------------------------
// The generator.
// ---------------------------------------------------------------------------------------------------

struct SyntheticTweets::Impl {
  struct UserEntry {
    pb::User proto;
    int lang = kEn;
    int64_t followers = 0;
  };
  struct PlaceEntry {
    pb::Place proto;
    int lang = kEn;
  };

  Impl(uint64_t seed_value, absl::Time start);

  void Generate(pb::TweetEnvelope* envelope);

  // Pieces.
  int PickLanguage() {
    const uint32_t r = rng.Below(lex.language_cumulative.back());
    int i = 0;
    while (lex.language_cumulative[static_cast<size_t>(i)] <= r) ++i;
    return i;
  }
  int32_t PickTag(int lang) {
    const std::vector<int32_t>& local = lex.local_tags[static_cast<size_t>(lang)];
    if (!local.empty() && rng.Chance(300)) return local[rng.Index(local.size())];
    const uint32_t r = rng.Below(lex.tag_cumulative.back());
    size_t lo = 0, hi = lex.tag_cumulative.size() - 1;  // first cumulative > r
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (lex.tag_cumulative[mid] > r) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return static_cast<int32_t>(lo);
  }
  int32_t PickAuthor() { return static_cast<int32_t>(active[rng.Skewed(active.size())]); }
  int32_t PickPopular() {
    if (!popular.empty() && rng.Chance(700)) return popular[rng.Index(popular.size())];
    return static_cast<int32_t>(rng.Index(users.size()));
  }
  int32_t PickOther(int32_t not_this) {
    int32_t u = static_cast<int32_t>(rng.Index(users.size()));
    if (u == not_this) u = (u + 1) % static_cast<int32_t>(users.size());
    return u;
  }
  int64_t Snowflake(int64_t unix_ms, uint32_t worker) {
    return ((unix_ms - kSnowflakeEpochMs) << 22) | (static_cast<int64_t>(worker) << 12) | rng.Below(4096);
  }
  int64_t OlderSnowflake(int64_t unix_ms) { return Snowflake(unix_ms, kWorkerHalf + rng.Below(kWorkerHalf)); }
  void RandomChars(std::string* out, size_t n, std::string_view alphabet) {
    for (size_t i = 0; i < n; ++i) out->push_back(alphabet[rng.Index(alphabet.size())]);
  }
  int32_t TargetLength() {
    const uint32_t r = rng.Below(100);
    if (r < 15) return 1 + static_cast<int32_t>(rng.Below(15));
    if (r < 50) return 15 + static_cast<int32_t>(rng.Below(65));
    if (r < 80) return 80 + static_cast<int32_t>(rng.Below(100));
    return 180 + static_cast<int32_t>(rng.Below(101));
  }
  TextPlan MakePlan(int32_t cap) {
    TextPlan plan;
    plan.cap = cap;
    plan.target = TargetLength();
    if (plan.target > cap) plan.target = cap;
    const uint32_t h = rng.Below(100);
    plan.hashtags = h < 65 ? 0 : h < 85 ? 1 : h < 95 ? 2 : 3 + static_cast<int>(rng.Below(3));
    const uint32_t m = rng.Below(100);
    plan.mentions = m < 80 ? 0 : m < 95 ? 1 : 2;
    plan.url = rng.Chance(180);
    plan.escape = rng.Chance(50);
    plan.emoji_per_mille = rng.Chance(400) ? 60 + rng.Below(200) : 0;
    return plan;
  }

  void MakeUrl(UrlEntry* u, int lang);
  void Compose(TextBuilder* b, int lang, const TextPlan& plan);
  void ComposeRetweet(const TextBuilder& original, int32_t original_author);
  void EmitEntities(const TextBuilder& b, pb::Tweet* tweet);
  void FillMetrics(pb::PublicMetrics* m, int64_t followers, int min_exp);
  // A referenced (older) tweet by `author` into `tweet`, its text in ref_text.
  void MakeReferencedTweet(pb::Tweet* tweet, int32_t author, int64_t unix_ms, int64_t id,
                           int64_t conversation_id);
  void AddMedia(pb::TweetEnvelope* envelope, int64_t tweet_ms, int lang);
  void SetId(int64_t id, std::string* out) {
    char buf[24];
    std::string_view d = Digits(id, buf, sizeof(buf));
    out->assign(d.data(), d.size());
  }
  void MakeUser(size_t index, std::unordered_set<std::string>* handles, std::unordered_set<int64_t>* ids);

  const Lexicon& lex;
  const uint64_t seed;
  const int64_t start_ms;
  Rng rng;
  int64_t now_ms;
  std::function<absl::Time()> live_clock;  // live mode: created_at follows it
  int64_t count = 0;
  std::vector<UserEntry> users;
  std::vector<size_t> active;     // user indices in order of activity (who tweets most first)
  std::vector<int32_t> popular;   // users with 10k+ followers: retweeted and quoted more
  std::vector<PlaceEntry> places;
  std::string origin;
  TextBuilder text;      // the envelope's tweet
  TextBuilder ref_text;  // the referenced tweet
  std::vector<int32_t> referenced;  // users for referenced_users, in order

  // NextView(): envelopes are built on `arena`, which starts in `arena_block` and is reset every
  // kViewsPerReset envelopes, so steady state allocates only the long strings' buffers.
  static constexpr int kViewsPerReset = 128;
  static google::protobuf::ArenaOptions ViewArenaOptions(std::vector<char>* block) {
    block->resize(2 << 20);
    google::protobuf::ArenaOptions options;
    options.initial_block = block->data();
    options.initial_block_size = block->size();
    options.start_block_size = 64 << 10;
    options.max_block_size = 1 << 20;
    return options;
  }
  std::vector<char> arena_block;
  google::protobuf::Arena arena{ViewArenaOptions(&arena_block)};
  int views_since_reset = 0;
};

SyntheticTweets::Impl::Impl(uint64_t seed_value, absl::Time start)
    : lex(TheLexicon()),
      seed(seed_value),
      start_ms(absl::ToUnixMillis(start)),
      rng(seed_value ^ 0x5EED5EED12345678ull),
      now_ms(start_ms),
      origin(absl::StrCat("synthetic:seed=", seed_value)) {
  std::unordered_set<std::string> handles;
  std::unordered_set<int64_t> ids;
  users.resize(kUserPoolSize);
  for (size_t i = 0; i < users.size(); ++i) MakeUser(i, &handles, &ids);
  for (size_t i = 0; i < users.size(); ++i) {
    active.push_back(i);
    if (users[i].followers >= 10000) popular.push_back(static_cast<int32_t>(i));
  }
  // Shuffle who is most active (Fisher-Yates with our own index mapping).
  for (size_t i = active.size() - 1; i > 0; --i) std::swap(active[i], active[rng.Index(i + 1)]);

  for (const PlaceSpec& spec : lex.places) {
    PlaceEntry& place = places.emplace_back();
    place.lang = spec.lang;
    pb::Place& p = place.proto;
    std::string* id = p.mutable_id();
    RandomChars(id, 16, "0123456789abcdef");
    p.set_full_name(spec.full_name.data(), spec.full_name.size());
    p.set_name(spec.name.data(), spec.name.size());
    p.set_country(spec.country.data(), spec.country.size());
    p.set_country_code(spec.country_code.data(), spec.country_code.size());
    p.set_place_type(spec.place_type.data(), spec.place_type.size());
    p.add_bbox(spec.west);
    p.add_bbox(spec.south);
    p.add_bbox(spec.east);
    p.add_bbox(spec.north);
  }
}

void SyntheticTweets::Impl::MakeUser(size_t index, std::unordered_set<std::string>* handles,
                                     std::unordered_set<int64_t>* ids) {
  UserEntry& entry = users[index];
  pb::User& u = entry.proto;
  entry.lang = PickLanguage();
  const LanguageSpec& lang = lex.languages[static_cast<size_t>(entry.lang)];

  // Account creation and id: accounts before 2013 have short sequential ids, later ones snowflakes.
  constexpr int64_t kFirstAccount = 1172707200;  // 2007-03-01
  constexpr int64_t kSnowflakeUsers = 1356998400;  // 2013-01-01
  const int64_t created_s = rng.Between(kFirstAccount, start_ms / 1000 - 30 * 86400);
  int64_t id = 0;
  do {
    id = created_s < kSnowflakeUsers ? 1000000 + (created_s - kFirstAccount) * 8 + rng.Below(8)
                                     : ((created_s * 1000 + rng.Below(1000) - kSnowflakeEpochMs) << 22) |
                                           rng.Below(1u << 22);
  } while (!ids->insert(id).second);
  SetId(id, u.mutable_id());
  SetTime(created_s * 1000, u.mutable_created_at());

  // Handle: ASCII [A-Za-z0-9_], at most 15 characters, unique in the pool.
  std::string handle;
  const uint32_t style = rng.Below(6);
  const absl::string_view base = Sv(lex.handles[rng.Index(lex.handles.size())]);
  const absl::string_view other = Sv(lex.handles[rng.Index(lex.handles.size())]);
  switch (style) {
    case 0: handle = absl::StrCat(base, rng.Below(10000)); break;
    case 1: handle = absl::StrCat(base, "_", other); break;
    case 2: handle = absl::StrCat("the", base, other); break;
    case 3: handle = absl::StrCat(base, other, rng.Below(100)); break;
    case 4: handle = absl::StrCat("_", base, "_"); break;
    default: handle = absl::StrCat(base, "_", Sv(lang.code), rng.Below(1000)); break;
  }
  if (rng.Chance(300) && handle[0] >= 'a' && handle[0] <= 'z') handle[0] = static_cast<char>(handle[0] - 'a' + 'A');
  if (handle.size() > 15) handle.resize(15);
  while (!handles->insert(handle).second) {
    if (handle.size() > 12) handle.resize(12);
    absl::StrAppend(&handle, rng.Below(1000));
  }
  u.set_username(handle);

  // Display name in the language's script.
  const Script script = lang.script;
  const auto& given = lex.given[script];
  const auto& family = lex.family[script];
  std::string name;
  const absl::string_view g = Sv(given[rng.Index(given.size())]);
  const absl::string_view f = Sv(family[rng.Index(family.size())]);
  switch (script) {
    case kJapanese:
      name = rng.Chance(500) ? absl::StrCat(f, g) : absl::StrCat(f, " ", g);
      break;
    case kHangul:
      name = absl::StrCat(f, g);
      break;
    case kNickname:
      name = absl::StrCat(f, " ", g, " ", f);
      break;
    default:
      name = absl::StrCat(g, " ", f);
      break;
  }
  if (rng.Chance(100)) {
    const Word& e = lex.emoji[rng.Skewed(lex.emoji.size())];
    absl::StrAppend(&name, " ", Sv(e.text));
  }
  u.set_name(name);

  // Profile.
  if (rng.Chance(700)) {
    std::string description;
    const int n = 3 + static_cast<int>(rng.Below(6));
    for (int i = 0; i < n; ++i) {
      if (i > 0 && lang.spaced) description.push_back(' ');
      absl::StrAppend(&description, Sv(lang.words[rng.Index(lang.words.size())].text));
    }
    u.set_description(description);
  }
  if (rng.Chance(500)) {
    for (const PlaceSpec& p : lex.places) {
      if (p.lang == entry.lang) {
        u.set_location(p.full_name.data(), p.full_name.size());
        break;
      }
    }
  }
  std::string image = "https://pbs.twimg.com/profile_images/";
  absl::StrAppend(&image, OlderSnowflake(start_ms - rng.Between(0, 86400000LL * 1000)), "/");
  RandomChars(&image, 8, kAlnum);
  image += "_normal.jpg";
  u.set_profile_image_url(image);
  u.set_protected_(false);

  // Metrics with heavy tails; a handful of accounts have millions of followers.
  entry.followers = rng.Heavy(4, 720, 27);
  pb::UserPublicMetrics* m = u.mutable_public_metrics();
  m->set_followers_count(entry.followers);
  m->set_following_count(rng.Heavy(3, 600, 13));
  const int64_t tweets = rng.Heavy(3, 750, 20);
  m->set_tweet_count(tweets);
  m->set_listed_count(entry.followers / (50 + rng.Below(450)));
  m->set_like_count(rng.Heavy(2, 750, 20));
  m->set_media_count(tweets / (3 + rng.Below(20)));

  std::string_view verified_type = "none";
  if (entry.followers >= 1000000 && rng.Chance(800)) {
    verified_type = rng.Chance(800) ? "business" : "government";
  } else if (rng.Chance(40)) {
    verified_type = "blue";
  }
  u.set_verified(verified_type != "none");
  u.set_verified_type(verified_type.data(), verified_type.size());
}

void SyntheticTweets::Impl::MakeUrl(UrlEntry* u, int lang) {
  const LanguageSpec& spec = lex.languages[static_cast<size_t>(lang)];
  u->url = "https://t.co/";
  RandomChars(&u->url, 10, kAlnum);
  const std::string_view domain = spec.domains[rng.Index(spec.domains.size())];
  u->expanded = "https://";
  u->expanded.append(domain.data(), domain.size());
  if (domain == "youtu.be") {
    u->expanded += "/";
    RandomChars(&u->expanded, 11, kAlnum);
  } else if (domain == "github.com") {
    absl::StrAppend(&u->expanded, "/", Sv(lex.handles[rng.Index(lex.handles.size())]), "/",
                    Sv(lex.handles[rng.Index(lex.handles.size())]), "/pull/", 1 + rng.Below(20000));
  } else {
    absl::StrAppend(&u->expanded, "/2024/0", 1 + rng.Below(9), "/", 10 + rng.Below(18), "/");
    const std::vector<Word>& words = lex.languages[kEn].words;
    const int n = 2 + static_cast<int>(rng.Below(4));
    for (int i = 0; i < n; ++i) {
      if (i > 0) u->expanded.push_back('-');
      for (char c : words[rng.Index(words.size())].text) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        u->expanded.push_back(keep ? static_cast<char>(c | 0x20) : '-');
      }
    }
    absl::StrAppend(&u->expanded, "-", rng.Below(1000000));
  }
  // display_url: no scheme, no "www.", cut at 26 characters with an ellipsis, as X shows it.
  std::string_view display(u->expanded);
  display.remove_prefix(8);  // "https://"
  if (display.substr(0, 4) == "www.") display.remove_prefix(4);
  if (display.size() > 26) {
    u->display.assign(display.data(), 26);
    u->display += "\u2026";
  } else {
    u->display.assign(display.data(), display.size());
  }
}

void SyntheticTweets::Impl::Compose(TextBuilder* b, int lang_index, const TextPlan& plan) {
  const LanguageSpec& lang = lex.languages[static_cast<size_t>(lang_index)];
  int hashtags_inline = plan.hashtags > 0 ? static_cast<int>(rng.Below(static_cast<uint32_t>(plan.hashtags) + 1)) : 0;
  int hashtags_end = plan.hashtags - hashtags_inline;
  int mentions_inline = plan.mentions;
  bool escape_pending = plan.escape;
  // Room kept for what goes at the end.
  const int32_t tail = (plan.url ? 24 : 0) + hashtags_end * 10;
  bool after_entity = false;  // the last piece was an entity or emoji: the next needs a space

  auto room = [&](int32_t needed, int32_t limit) { return b->cps() + needed <= limit; };
  auto space_needed = [&](bool entity) {
    if (b->empty() || b->EndsWithSpace()) return false;
    return lang.spaced || entity || after_entity;
  };
  const int32_t body_limit = std::max<int32_t>(1, std::min(plan.target, plan.cap) - tail);
  const int32_t body_start = b->cps();

  for (int guard = 0; guard < 200; ++guard) {
    const uint32_t r = rng.Below(1000);
    if (escape_pending && r < 40) {
      const Word& w = lex.escapes[rng.Index(lex.escapes.size())];
      const bool sp = space_needed(false);
      if (!room(w.cps + (sp ? 1 : 0), body_limit)) break;
      if (sp) b->Append(" ", 1);
      b->Append(w.text, w.cps);
      escape_pending = false;
      after_entity = true;
    } else if (r < 40 + plan.emoji_per_mille) {
      const Word& e = lex.emoji[rng.Skewed(lex.emoji.size())];
      const int repeat = rng.Chance(150) ? 3 : 1;
      const bool sp = !b->empty() && !b->EndsWithSpace() && lang.spaced && rng.Chance(750);
      if (!room(e.cps * repeat + (sp ? 1 : 0), body_limit) && b->cps() > body_start) break;
      if (!room(e.cps * repeat + (sp ? 1 : 0), plan.cap)) break;
      if (sp) b->Append(" ", 1);
      for (int i = 0; i < repeat; ++i) b->Append(e.text, e.cps);
      after_entity = false;
    } else if (mentions_inline > 0 && r < 120 + plan.emoji_per_mille) {
      const int32_t user = static_cast<int32_t>(rng.Index(users.size()));
      const std::string& name = users[static_cast<size_t>(user)].proto.username();
      const int32_t cps = static_cast<int32_t>(name.size()) + 1;
      const bool sp = space_needed(true);
      if (!room(cps + (sp ? 1 : 0), body_limit) && b->cps() > body_start) break;
      if (!room(cps + (sp ? 1 : 0), plan.cap)) break;
      if (sp) b->Append(" ", 1);
      b->AppendPrefixed('@', name, cps - 1, SegKind::kMention, user);
      --mentions_inline;
      after_entity = true;
    } else if (hashtags_inline > 0 && r < 200 + plan.emoji_per_mille) {
      const int32_t tag = PickTag(lang_index);
      const Word& t = lex.tags[static_cast<size_t>(tag)];
      const bool sp = space_needed(true);
      if (!room(t.cps + 1 + (sp ? 1 : 0), body_limit) && b->cps() > body_start) break;
      if (!room(t.cps + 1 + (sp ? 1 : 0), plan.cap)) break;
      if (sp) b->Append(" ", 1);
      b->AppendPrefixed('#', t.text, t.cps, SegKind::kHashtag, tag);
      --hashtags_inline;
      after_entity = true;
    } else {
      const Word& w = lang.words[rng.Index(lang.words.size())];
      const bool sp = space_needed(false);
      if (!room(w.cps + (sp ? 1 : 0), body_limit) && b->cps() > body_start) break;
      if (!room(w.cps + (sp ? 1 : 0), plan.cap)) break;
      if (sp) b->Append(" ", 1);
      b->Append(w.text, w.cps);
      after_entity = false;
      if (rng.Chance(120)) {
        const Word& end = lang.ends[rng.Index(lang.ends.size())];
        if (room(end.cps, body_limit)) {
          b->Append(end.text, end.cps);
            }
      }
    }
  }

  // What did not fit inline goes to the end, within the hard cap.
  hashtags_end += hashtags_inline;
  const int32_t url_room = plan.url ? 24 : 0;
  for (int i = 0; i < mentions_inline; ++i) {
    const int32_t user = static_cast<int32_t>(rng.Index(users.size()));
    const std::string& name = users[static_cast<size_t>(user)].proto.username();
    const int32_t cps = static_cast<int32_t>(name.size()) + 1;
    const bool sp = space_needed(true);
    if (!room(cps + (sp ? 1 : 0) + url_room, plan.cap)) break;
    if (sp) b->Append(" ", 1);
    b->AppendPrefixed('@', name, cps - 1, SegKind::kMention, user);
    after_entity = true;
  }
  for (int i = 0; i < hashtags_end; ++i) {
    const int32_t tag = PickTag(lang_index);
    const Word& t = lex.tags[static_cast<size_t>(tag)];
    const bool sp = space_needed(true);
    if (!room(t.cps + 1 + (sp ? 1 : 0) + url_room, plan.cap)) break;
    if (sp) b->Append(" ", 1);
    b->AppendPrefixed('#', t.text, t.cps, SegKind::kHashtag, tag);
    after_entity = true;
  }
  if (plan.url) {
    const bool sp = space_needed(true);
    if (room(23 + (sp ? 1 : 0), plan.cap)) {
      UrlEntry* u = nullptr;
      const int32_t index = b->NewUrl(&u);
      MakeUrl(u, lang_index);
      if (sp) b->Append(" ", 1);
      b->AppendUrl(index);
    }
  }
  if (b->cps() == body_start) {  // never an empty text: one emoji (plans always leave room for it)
    const Word& e = lex.emoji[rng.Skewed(lex.emoji.size())];
    if (room(e.cps + 1, plan.cap)) {
      if (!b->empty() && !b->EndsWithSpace()) b->Append(" ", 1);
      b->Append(e.text, e.cps);
    }
  }
}

void SyntheticTweets::Impl::ComposeRetweet(const TextBuilder& original, int32_t original_author) {
  const std::string& name = users[static_cast<size_t>(original_author)].proto.username();
  text.Append("RT ", 3);
  text.AppendPrefixed('@', name, static_cast<int32_t>(name.size()), SegKind::kMention, original_author);
  text.Append(": ", 2);
  const std::vector<Segment>& segments = original.segments();
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& seg = segments[i];
    const int32_t cps = seg.cp_end - seg.cp_begin;
    const bool last = i + 1 == segments.size();
    // Keep one code point for the ellipsis unless the whole original fits.
    if (text.cps() + cps + (last ? 0 : 1) > kMaxCps) {
      text.Append("\u2026", 1);
      return;
    }
    text.CopySegment(original, seg);
  }
}

void SyntheticTweets::Impl::EmitEntities(const TextBuilder& b, pb::Tweet* tweet) {
  pb::Entities* entities = nullptr;
  for (const Segment& seg : b.segments()) {
    if (seg.kind == SegKind::kText) continue;
    if (entities == nullptr) entities = tweet->mutable_entities();
    switch (seg.kind) {
      case SegKind::kHashtag: {
        pb::Hashtag* h = entities->add_hashtags();
        h->set_start(seg.cp_begin);
        h->set_end(seg.cp_end);
        const Word& tag = lex.tags[static_cast<size_t>(seg.ref)];
        h->set_tag(tag.text.data(), tag.text.size());
        break;
      }
      case SegKind::kMention: {
        pb::Mention* m = entities->add_mentions();
        m->set_start(seg.cp_begin);
        m->set_end(seg.cp_end);
        const pb::User& user = users[static_cast<size_t>(seg.ref)].proto;
        m->set_username(user.username());
        m->set_id(user.id());
        break;
      }
      case SegKind::kUrl: {
        pb::Url* u = entities->add_urls();
        u->set_start(seg.cp_begin);
        u->set_end(seg.cp_end);
        const UrlEntry& entry = b.url(seg.ref);
        u->set_url(entry.url);
        u->set_expanded_url(entry.expanded);
        u->set_display_url(entry.display);
        if (!entry.media_key.empty()) {
          u->set_media_key(entry.media_key);
        } else {
          u->set_status(200);
          u->set_unwound_url(entry.expanded);
        }
        break;
      }
      case SegKind::kText:
        break;
    }
  }
}

void SyntheticTweets::Impl::FillMetrics(pb::PublicMetrics* m, int64_t followers, int min_exp) {
  const int cap = std::max(min_exp + 1, BitWidth(followers) + 1);
  const int64_t likes = rng.Heavy(min_exp, 620, cap);
  const int64_t retweets = likes / (2 + rng.Below(9));
  m->set_like_count(likes);
  m->set_retweet_count(retweets);
  m->set_reply_count(likes / (4 + rng.Below(20)) + (rng.Chance(300) ? 1 : 0));
  m->set_quote_count(retweets / (3 + rng.Below(10)));
  m->set_bookmark_count(likes / (5 + rng.Below(50)));
  m->set_impression_count((likes + 1) * (20 + rng.Below(200)) + followers / (10 + rng.Below(90)));
}

void SyntheticTweets::Impl::MakeReferencedTweet(pb::Tweet* tweet, int32_t author, int64_t unix_ms, int64_t id,
                                                int64_t conversation_id) {
  const UserEntry& user = users[static_cast<size_t>(author)];
  const int lang = rng.Chance(850) ? user.lang : PickLanguage();
  ref_text.Clear();
  Compose(&ref_text, lang, MakePlan(kMaxCps));
  SetId(id, tweet->mutable_id());
  tweet->set_text(ref_text.text());
  tweet->set_author_id(user.proto.id());
  SetTime(unix_ms, tweet->mutable_created_at());
  SetId(conversation_id, tweet->mutable_conversation_id());
  tweet->set_lang(lex.languages[static_cast<size_t>(lang)].code.data(),
                  lex.languages[static_cast<size_t>(lang)].code.size());
  tweet->set_source("tweetstream-synthetic");
  tweet->set_reply_settings("everyone");
  tweet->set_possibly_sensitive(rng.Chance(15));
  EmitEntities(ref_text, tweet);
  FillMetrics(tweet->mutable_public_metrics(), user.followers, 2);
  tweet->add_edit_history_tweet_ids(tweet->id());
}

void SyntheticTweets::Impl::AddMedia(pb::TweetEnvelope* envelope, int64_t tweet_ms, int lang) {
  pb::Tweet* tweet = envelope->mutable_tweet();
  const uint32_t kind = rng.Below(100);
  const bool photo = kind < 75;
  const bool video = !photo && kind < 95;
  const int n = photo && rng.Chance(300) ? 2 + static_cast<int>(rng.Below(3)) : 1;
  static constexpr int kSizes[][2] = {{1200, 900}, {1080, 1350}, {1920, 1080}, {900, 1200}, {2048, 1536}, {720, 1280}};
  for (int i = 0; i < n; ++i) {
    const int64_t media_id = OlderSnowflake(tweet_ms - 1000 - rng.Below(600000));
    pb::Media* m = envelope->add_media();
    const char* prefix = photo ? "3_" : video ? "7_" : "16_";
    m->set_media_key(absl::StrCat(prefix, media_id));
    tweet->mutable_attachments()->add_media_keys(m->media_key());
    const auto& size = kSizes[rng.Index(std::size(kSizes))];
    m->set_width(size[0]);
    m->set_height(size[1]);
    std::string name;
    RandomChars(&name, 15, kAlnum);
    if (photo) {
      m->set_type("photo");
      m->set_url(absl::StrCat("https://pbs.twimg.com/media/", name, ".jpg"));
      if (rng.Chance(150)) {
        const std::vector<Word>& words = lex.languages[static_cast<size_t>(lang)].words;
        std::string alt;
        for (int w = 0; w < 4; ++w) {
          if (w > 0 && lex.languages[static_cast<size_t>(lang)].spaced) alt.push_back(' ');
          absl::StrAppend(&alt, Sv(words[rng.Index(words.size())].text));
        }
        m->set_alt_text(alt);
      }
    } else if (video) {
      m->set_type("video");
      m->set_preview_image_url(absl::StrCat("https://pbs.twimg.com/ext_tw_video_thumb/", media_id, "/pu/img/", name, ".jpg"));
      m->set_duration_ms(2000 + rng.Below(138000));
      m->mutable_public_metrics()->set_view_count(rng.Heavy(4, 700, 26));
      for (int64_t bit_rate : {256000, 832000, 2176000}) {
        pb::MediaVariant* v = m->add_variants();
        v->set_bit_rate(bit_rate);
        v->set_content_type("video/mp4");
        v->set_url(absl::StrCat("https://video.twimg.com/ext_tw_video/", media_id, "/pu/vid/avc1/", size[0] * bit_rate / 2176000,
                                "x", size[1] * bit_rate / 2176000, "/", name, ".mp4?tag=12"));
      }
      pb::MediaVariant* hls = m->add_variants();
      hls->set_content_type("application/x-mpegURL");
      hls->set_url(absl::StrCat("https://video.twimg.com/ext_tw_video/", media_id, "/pu/pl/", name, ".m3u8?tag=12"));
    } else {
      m->set_type("animated_gif");
      m->set_preview_image_url(absl::StrCat("https://pbs.twimg.com/tweet_video_thumb/", name, ".jpg"));
      pb::MediaVariant* v = m->add_variants();
      v->set_bit_rate(0);
      v->set_content_type("video/mp4");
      v->set_url(absl::StrCat("https://video.twimg.com/tweet_video/", name, ".mp4"));
    }
  }
}

void SyntheticTweets::Impl::Generate(pb::TweetEnvelope* envelope) {
  envelope->Clear();
  ++count;
  // 1 ms .. 400 ms most of the time, up to 3 s sometimes: the clock always moves, so ids increase.
  const int64_t step = rng.Chance(850) ? 1 + rng.Below(400) : 400 + rng.Below(2600);
  now_ms = live_clock ? std::max(now_ms + 1, absl::ToUnixMillis(live_clock())) : now_ms + step;
  const int64_t id = Snowflake(now_ms, rng.Below(kWorkerHalf));
  const int32_t author = PickAuthor();
  const UserEntry& author_entry = users[static_cast<size_t>(author)];
  int lang = rng.Chance(800) ? author_entry.lang : PickLanguage();

  pb::Tweet* tweet = envelope->mutable_tweet();
  SetId(id, tweet->mutable_id());
  tweet->set_author_id(author_entry.proto.id());
  SetTime(now_ms, tweet->mutable_created_at());
  tweet->set_source("tweetstream-synthetic");

  text.Clear();
  referenced.clear();
  int64_t conversation_id = id;
  int32_t display_begin = 0;
  bool has_media = false;
  const uint32_t kind = rng.Below(100);
  if (kind < 15) {
    // Retweet: "RT @original_author: <original text, cut at 280 with an ellipsis>".
    const int32_t original_author = PickPopular();
    const int64_t original_ms = now_ms - 1000 - rng.Heavy(10, 700, 32);
    const int64_t original_id = OlderSnowflake(original_ms);
    pb::Tweet* original = envelope->add_referenced_tweets();
    MakeReferencedTweet(original, original_author, original_ms, original_id, original_id);
    ComposeRetweet(ref_text, original_author);
    lang = -1;
    tweet->set_lang(original->lang());
    tweet->set_possibly_sensitive(original->possibly_sensitive());
    pb::ReferencedTweet* ref = tweet->add_referenced_tweets();
    ref->set_type("retweeted");
    ref->set_id(original->id());
    pb::PublicMetrics* m = tweet->mutable_public_metrics();
    m->set_retweet_count(original->public_metrics().retweet_count());
    m->set_reply_count(0);
    m->set_like_count(0);
    m->set_quote_count(0);
    m->set_bookmark_count(0);
    m->set_impression_count(0);
  } else {
    int32_t cap = kMaxCps;
    has_media = rng.Chance(110);
    if (has_media) cap -= 24;
    if (kind < 25) {
      // Quote: the quoted tweet's url closes the text.
      const int32_t quoted_author = PickPopular();
      const int64_t quoted_ms = now_ms - 1000 - rng.Heavy(10, 700, 32);
      const int64_t quoted_id = OlderSnowflake(quoted_ms);
      pb::Tweet* quoted = envelope->add_referenced_tweets();
      MakeReferencedTweet(quoted, quoted_author, quoted_ms, quoted_id, quoted_id);
      pb::ReferencedTweet* ref = tweet->add_referenced_tweets();
      ref->set_type("quoted");
      ref->set_id(quoted->id());
      Compose(&text, lang, MakePlan(cap - 24));
      UrlEntry* u = nullptr;
      const int32_t index = text.NewUrl(&u);
      u->url = "https://t.co/";
      RandomChars(&u->url, 10, kAlnum);
      const std::string& quoted_name = users[static_cast<size_t>(quoted_author)].proto.username();
      u->expanded = absl::StrCat("https://twitter.com/", quoted_name, "/status/", quoted->id());
      u->display = absl::StrCat("twitter.com/", quoted_name, "/s");
      if (u->display.size() > 26) u->display.resize(26);
      u->display += "\u2026";
      if (!text.EndsWithSpace()) text.Append(" ", 1);
      text.AppendUrl(index);
    } else if (kind < 45) {
      // Reply: "@replied_to [@other] ..." with the conversation's root id.
      const int32_t replied_user = PickOther(author);
      const int64_t replied_ms = now_ms - 500 - rng.Heavy(8, 650, 28);
      const int64_t replied_id = OlderSnowflake(replied_ms);
      conversation_id = rng.Chance(600) ? replied_id : OlderSnowflake(replied_ms - 1000 - rng.Heavy(8, 650, 26));
      if (rng.Chance(800)) {
        MakeReferencedTweet(envelope->add_referenced_tweets(), replied_user, replied_ms, replied_id, conversation_id);
      }
      pb::ReferencedTweet* ref = tweet->add_referenced_tweets();
      ref->set_type("replied_to");
      SetId(replied_id, ref->mutable_id());
      tweet->set_in_reply_to_user_id(users[static_cast<size_t>(replied_user)].proto.id());
      referenced.push_back(replied_user);
      const std::string& name = users[static_cast<size_t>(replied_user)].proto.username();
      text.AppendPrefixed('@', name, static_cast<int32_t>(name.size()), SegKind::kMention, replied_user);
      text.Append(" ", 1);
      if (rng.Chance(200)) {
        const int32_t other = PickOther(replied_user);
        const std::string& other_name = users[static_cast<size_t>(other)].proto.username();
        text.AppendPrefixed('@', other_name, static_cast<int32_t>(other_name.size()), SegKind::kMention, other);
        text.Append(" ", 1);
      }
      display_begin = text.cps();
      Compose(&text, lang, MakePlan(cap));
    } else {
      Compose(&text, lang, MakePlan(cap));
    }
    const int32_t display_end = text.cps();
    if (has_media) {
      AddMedia(envelope, now_ms, lang);
      UrlEntry* u = nullptr;
      const int32_t index = text.NewUrl(&u);
      u->url = "https://t.co/";
      RandomChars(&u->url, 10, kAlnum);
      const pb::Media& first = envelope->media(0);
      const char* what = first.type() == "photo" ? "/photo/1" : "/video/1";
      u->expanded = absl::StrCat("https://twitter.com/", author_entry.proto.username(), "/status/", tweet->id(), what);
      u->display = "pic.twitter.com/";
      RandomChars(&u->display, 10, kAlnum);
      u->media_key = first.media_key();
      if (!text.EndsWithSpace()) text.Append(" ", 1);
      text.AppendUrl(index);
    }
    tweet->add_display_text_range(display_begin);
    tweet->add_display_text_range(display_end);
    const LanguageSpec& spec = lex.languages[static_cast<size_t>(lang)];
    tweet->set_lang(spec.code.data(), spec.code.size());
    tweet->set_possibly_sensitive(rng.Chance(has_media ? 50 : 15));
    FillMetrics(tweet->mutable_public_metrics(), author_entry.followers, 0);
  }

  tweet->set_text(text.text());
  SetId(conversation_id, tweet->mutable_conversation_id());
  const uint32_t settings = rng.Below(100);
  tweet->set_reply_settings(settings < 95 ? "everyone" : settings < 98 ? "following" : "mentionedUsers");
  EmitEntities(text, tweet);
  tweet->add_edit_history_tweet_ids(tweet->id());
  pb::EditControls* edit = tweet->mutable_edit_controls();
  edit->set_is_edit_eligible(!has_media && rng.Chance(300));
  SetTime(now_ms + 3600 * 1000, edit->mutable_editable_until());
  edit->set_edits_remaining(5);

  // Place: a few tweets are geo-tagged, usually somewhere their language is spoken.
  if (rng.Chance(40)) {
    size_t place = rng.Index(places.size());
    const int tweet_lang = lang < 0 ? author_entry.lang : lang;
    if (rng.Chance(800)) {
      for (size_t i = 0; i < places.size(); ++i) {
        const size_t candidate = (place + i) % places.size();
        if (places[candidate].lang == tweet_lang) {
          place = candidate;
          break;
        }
      }
    }
    const pb::Place& p = places[place].proto;
    pb::Geo* geo = tweet->mutable_geo();
    geo->set_place_id(p.id());
    if (rng.Chance(300)) {
      pb::Point* point = geo->mutable_coordinates();
      const double fx = static_cast<double>(rng.Below(1000000)) / 1000000.0;
      const double fy = static_cast<double>(rng.Below(1000000)) / 1000000.0;
      point->set_longitude(p.bbox(0) + (p.bbox(2) - p.bbox(0)) * fx);
      point->set_latitude(p.bbox(1) + (p.bbox(3) - p.bbox(1)) * fy);
    }
    *envelope->mutable_place() = p;
  }

  // Expansions: the author, and everyone mentioned or replied to (once each, in order).
  *envelope->mutable_author() = author_entry.proto;
  for (const Segment& seg : text.segments()) {
    if (seg.kind != SegKind::kMention) continue;
    bool seen = false;
    for (int32_t u : referenced) seen = seen || u == seg.ref;
    if (!seen) referenced.push_back(seg.ref);
  }
  for (int32_t u : referenced) *envelope->add_referenced_users() = users[static_cast<size_t>(u)].proto;

  pb::Ingestion* ingestion = envelope->mutable_ingestion();
  ingestion->set_connector("tweet-source");
  ingestion->set_mode("synthetic");
  SetTime(now_ms + 50 + rng.Below(1950), ingestion->mutable_ingested_at());
  ingestion->set_origin(origin);
  ingestion->set_connector_version(TWEETSTREAM_VERSION);
}

SyntheticTweets::SyntheticTweets(uint64_t seed, absl::Time start_time)
    : impl_(std::make_unique<Impl>(seed, start_time)) {}

SyntheticTweets::~SyntheticTweets() = default;

tweet::v1::TweetEnvelope SyntheticTweets::Next() {
  tweet::v1::TweetEnvelope envelope;
  impl_->Generate(&envelope);
  return envelope;
}

void SyntheticTweets::NextInto(tweet::v1::TweetEnvelope* envelope) { impl_->Generate(envelope); }

const tweet::v1::TweetEnvelope& SyntheticTweets::NextView() {
  if (++impl_->views_since_reset > Impl::kViewsPerReset) {
    impl_->arena.Reset();
    impl_->views_since_reset = 1;
  }
  auto* envelope = google::protobuf::Arena::CreateMessage<tweet::v1::TweetEnvelope>(&impl_->arena);
  impl_->Generate(envelope);
  return *envelope;
}

int64_t SyntheticTweets::count() const { return impl_->count; }

void SyntheticTweets::SetLiveClock(std::function<absl::Time()> clock) { impl_->live_clock = std::move(clock); }

absl::Time SyntheticTweets::last_created_at() const { return absl::FromUnixMillis(impl_->now_ms); }

uint64_t SyntheticTweets::seed() const { return impl_->seed; }

}  // namespace tweetstream::source
