#include "rules/secret_patterns.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <unordered_set>

#include "layer/layer_entry.h"
#include "rules/glob.h"

namespace strata {

namespace {

// redis's password lines, for vectorscan: a line that starts with a
// directive that takes a password, or an ACL rule with a ">" token. Only
// how the line starts: kRedisPassword confirms it and finds the
// passwords. Compiling all the patterns takes about 340 million
// instructions (callgrind); this adds 11 million to what requirepass and
// masterauth alone took, where the whole expression added 46 million and
// an ACL pattern of its own 340 million.
const char* const kRedisPasswordLine =
    R"re((?:^|\n)[ \t]*(?:requirepass|masterauth|sentinel[ \t]+(?:auth|sentinel)-pass|)re"
    R"re(user[ \t][^\n]*[ \t]["']?>))re";

// In the line of such a match (the window the scanner hands std::regex):
// the directive's value, ending the line and written as redis splits a
// line, in double quotes (with \-escapes), in single quotes or a word; a
// directive's line that holds no such value, passed over whole (no group:
// no secret), so that a ">" in it is not read as an ACL password; or each
// ">" token of the ACL rule, quoted (">pass word" or >"pass word") or not.
const char* const kRedisPassword =
    R"re((?:^|\n)[ \t]*(?:requirepass|masterauth|sentinel[ \t]+(?:auth-pass[ \t]+\S+|)re"
    R"re(sentinel-pass))(?:[ \t]+(?:"((?:[^"\\\n]|\\.)+)"|'((?:[^'\\\n]|\\.)+)'|)re"
    R"re(([^\s"']+))[ \t\r]*(?:\n|$)|[^\n]*)|)re"
    R"re((?:^|[ \t])(?:(?:>"|">)((?:[^"\\\n]|\\.)+)"|(?:>'|'>)((?:[^'\\\n]|\\.)+)'|)re"
    R"re(>([^\s"']+))(?=[ \t\r]|$))re";

}  // namespace

const std::vector<SecretPattern>& BuiltinSecretPatterns() {
  static const std::vector<SecretPattern> patterns = {
      // Credentials files, recognised by name and confirmed by content.
      {"secret-registry-credentials", R"re("auth"\s*:\s*"([A-Za-z0-9+/=]{8,})")re", false, 0,
       "**/.docker/config.json|**/.dockercfg"},
      {"secret-registry-credentials", R"re((?:_authToken|_auth|_password)\s*=\s*(\S{6,}))re", false,
       0, "**/.npmrc"},
      {"secret-registry-credentials", R"re(password\s*[:=]\s*(\S{4,}))re", true, 0, "**/.pypirc"},
      {"secret-registry-credentials", R"re(password\s+(\S{4,}))re", false, 0,
       "**/.netrc|**/_netrc"},
      {"secret-registry-credentials", R"re(https?://[^:\s/]+:([^@\s]{3,})@)re", false, 0,
       "**/.git-credentials"},
      {"secret-registry-credentials", R"re(<password>([^<]{3,})</password>)re", false, 0,
       "**/.m2/settings.xml"},
      {"secret-cloud-credentials", R"re((?:token|client-key-data|password)\s*:\s*(\S{8,}))re",
       false, 0, "**/.kube/config|**/kubeconfig|**/*.kubeconfig"},
      {"secret-config-password", R"re(define\(\s*["']DB_PASSWORD["']\s*,\s*["']([^"']{4,})["'])re",
       false, 0, "**/wp-config.php"},
      {"secret-config-password", R"re(password["']?\s*[:=]\s*["']?([^\s"',;]{4,}))re", true, 0,
       "**/application*.yml|**/application*.yaml|**/application*.properties|**/database.yml|"
       "**/wp-config.php|**/config/*.yml|**/config/*.yaml"},
      // redis's passwords, in any file: redis.conf is named as its owner
      // likes (6379.conf, node.conf), and so are ACL files. One pattern
      // for them all, since each pattern costs compile time on every cold
      // run. The directive must start its line, so the commented "#
      // requirepass foobared" of a stock redis.conf is left alone:
      // requirepass, masterauth, sentinel's auth-pass (after the master's
      // name) and sentinel-pass, with the value ending the line, quoted
      // as redis reads it (a space inside quotes, \" escaped); and an ACL
      // rule "user NAME … >PASSWORD …", each ">" token a password (a
      // "#HASH" one is no secret). A value already redacted ("s3cr…(12
      // characters)") is a placeholder (LooksLikePlaceholder).
      {"secret-config-password", kRedisPasswordLine, true, 0, nullptr, kRedisPassword},
      // Well-known formats, anywhere.
      {"secret-private-key",
       R"re(-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----)re",
       false, 0, nullptr},
      {"secret-aws-access-key", R"re(\b((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b)re", false, 0,
       nullptr},
      {"secret-aws-access-key",
       R"re(aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40}))re", true, 3.0,
       nullptr},
      // Tokens whose prefix ends in '_' or '-' and whose body has a fixed
      // length: the prefix may follow a letter, digit or '_' (X_ghp_…,
      // vghp_…, a token pasted onto a name), since its separator already
      // marks where it starts, and the body's length and characters keep
      // an identifier such as load_ghp_cache out. Prefixes of letters
      // alone (AKIA, AIza) still need a word boundary: base64 text holds
      // them by chance. Nothing is asked of what follows the body: a token
      // pasted before a name (ghp_…_old, ghp_…dir) is the first 36
      // characters, and a longer run that is no token costs a needless
      // redaction, where a boundary there showed tokens whole.
      {"secret-github-token", R"re(((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}))re", false, 0,
       nullptr},
      {"secret-github-token", R"re((github_pat_[A-Za-z0-9_]{82}))re", false, 0, nullptr},
      {"secret-gitlab-token", R"re((glpat-[A-Za-z0-9_-]{20}))re", false, 0, nullptr},
      {"secret-npm-token", R"re((npm_[A-Za-z0-9]{36}))re", false, 0, nullptr},
      {"secret-slack-token", R"re(\b(xox[baprs]-[0-9A-Za-z-]{10,}))re", false, 0, nullptr},
      {"secret-slack-token", R"re((https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}))re",
       false, 0, nullptr},
      {"secret-stripe-key", R"re(\b([sr]k_live_[0-9a-zA-Z]{24,}))re", false, 0, nullptr},
      {"secret-pypi-token", R"re(\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}))re", false, 0, nullptr},
      {"secret-google-api-key", R"re(\b(AIza[0-9A-Za-z_-]{35}))re", false, 0, nullptr},
      {"secret-jwt", R"re(\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}))re",
       false, 0, nullptr},
      {"secret-url-password",
       R"re([a-z][a-z0-9+.-]*://[^:/\s@"']+:([^@\s/"']{6,})@[a-zA-Z0-9.-])re", false, 2.5, nullptr},
      // The generic assignment: a keyword, then a value random enough. The
      // value ends at a space or quote, not at '#': strong passwords hold
      // one, and a comment after an unquoted value (.env, YAML, shell)
      // needs a space before it.
      {"secret-generic-assignment",
       R"re((?:password|passwd|secret|token|api_?key|apikey|access_?key|client_?secret|auth_?token)[a-z0-9_.-]{0,20}["']?\s*[:=]\s*["']?([^\s"'`;,<>()\[\]{}]{8,}))re",
       true, 3.0, nullptr},
      // The same for a name whose last part is a short word for a
      // password (DB_PASS=, GPG_PASSPHRASE=, ldap_bind_pw =), as
      // NameSaysSecret reads it: the word starts the name or follows
      // '_', '.' or '-', so BYPASS= and COMPASS= are not read.
      {"secret-generic-assignment",
       R"re(\b(?:[a-z0-9]+[_.-])*(?:passphrase|pass|pwd|pw)["']?\s*[:=]\s*["']?([^\s"'`;,<>()\[\]{}]{8,}))re",
       true, 3.0, nullptr},
  };
  return patterns;
}

double ShannonEntropy(std::string_view text) {
  if (text.empty()) return 0;
  int counts[256] = {};
  for (unsigned char c : text) ++counts[c];
  double entropy = 0;
  for (int count : counts) {
    if (count == 0) continue;
    double p = static_cast<double>(count) / static_cast<double>(text.size());
    entropy -= p * std::log2(p);
  }
  return entropy;
}

bool LooksLikePlaceholder(std::string_view value) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });

  static const char* const kMarkers[] = {
      "${",
      "{{",
      "$(",
      "%(",
      "<",
      "example",
      "changeme",
      "change_me",
      "placeholder",
      "xxxx",
      "****",
      "dummy",
      "your_",
      "your-",
      "yourpassword",
      "redacted",
      "replace",
      "sample",
      "notasecret",
      "not-a-secret",
      "process.env",
      "os.environ",
      "getenv",
      "secretkeyref",
      "/run/secrets/",
      "/var/run/secrets/",
      // A value strata already redacted ("s3…(12 characters)"), as a
      // history step shows it once the step's own reader hid it.
      "…(",
  };
  for (const char* marker : kMarkers)
    if (lower.find(marker) != std::string::npos) return true;

  // A reference to another variable ($DB_PASSWORD) or a file path.
  if (!value.empty() && (value.front() == '$' || value.front() == '/')) return true;

  // One character repeated (aaaaaaaa, 00000000) is a filler.
  return std::all_of(value.begin(), value.end(), [&](char c) { return c == value.front(); });
}

bool LooksLikeCode(std::string_view value) {
  // Not "$" alone: strong passwords hold one; a value that starts with it,
  // "${" or "$(" is a reference (LooksLikePlaceholder).
  for (std::string_view marker : {"::", "->", "=>", "();", "@{", ".get(", "self."})
    if (value.find(marker) != std::string_view::npos) return true;

  // An identifier or a chain of them (req.body.password, config.apiKey,
  // BinaryLike) is code; a secret has digits or symbols in it.
  bool identifier_chain = !value.empty();
  bool digit = false;
  for (char c : value) {
    digit |= c >= '0' && c <= '9';
    identifier_chain &= std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  }
  if (identifier_chain && (!digit || value.find('.') != std::string_view::npos)) return true;
  return false;
}

bool IsSystemPath(std::string_view path) {
  for (std::string_view prefix :
       {"usr/", "lib/", "lib32/", "lib64/", "bin/", "sbin/", "var/lib/", "etc/ssl/"})
    if (path.starts_with(prefix)) return true;
  // Vendored dependencies are other people's code, full of parameters
  // named password and token.
  for (std::string_view part :
       {"node_modules/", "vendor/", "site-packages/", "dist-packages/", "/.m2/", "/go/pkg/mod/"})
    if (path.find(part) != std::string_view::npos || path.starts_with(part)) return true;
  return false;
}

namespace {

// |name| in capitals, with '-' and '.' read as '_': "db.password" and
// "api-key" are spelled as the DB_PASSWORD and API_KEY they stand for.
std::string NormalName(std::string_view name) {
  std::string normal(name);
  for (char& c : normal)
    c = c == '-' || c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return normal;
}

// The parts of |name| in capitals: split at '_', '-' and '.', between a
// lower-case letter and a capital (dbPass), before the capital that
// starts a word after an acronym (SMTPPass) and between letters and
// digits (PASS2).
std::vector<std::string> NameParts(std::string_view name) {
  std::vector<std::string> parts(1);
  auto kind = [](char c) {
    unsigned char byte = static_cast<unsigned char>(c);
    return std::isdigit(byte) ? 'd' : std::islower(byte) ? 'l' : std::isupper(byte) ? 'u' : '?';
  };
  for (size_t i = 0; i < name.size(); ++i) {
    char here = kind(name[i]);
    char before = i > 0 ? kind(name[i - 1]) : '?';
    char after = i + 1 < name.size() ? kind(name[i + 1]) : '?';
    bool boundary = (before == 'l' && here == 'u') ||
                    (before == 'u' && here == 'u' && after == 'l') ||
                    (before != '?' && here != '?' && (before == 'd') != (here == 'd'));
    if (here == '?' || boundary) {
      if (!parts.back().empty()) parts.emplace_back();
      if (here == '?') continue;
    }
    parts.back() += static_cast<char>(std::toupper(static_cast<unsigned char>(name[i])));
  }
  if (parts.back().empty()) parts.pop_back();
  return parts;
}

// True when a part of |name| is a short word for a password: DB_PASS,
// SMTP_PASS, GPG_PASSPHRASE, DB_PWD, ldap_bind_pw, dbPass. A part, never
// a piece of one: BYPASS, COMPASS and PASSTHROUGH are other words. PASS
// before THROUGH or THRU is the word "pass-through" (PASS_THROUGH=yes), and
// PWD alone is the shell's working directory.
bool PartSaysPassword(std::string_view name) {
  std::vector<std::string> parts = NameParts(name);
  if (parts.size() == 1 && parts[0] == "PWD") return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    bool through = i + 1 < parts.size() && (parts[i + 1] == "THROUGH" || parts[i + 1] == "THRU");
    if ((part == "PASS" && !through) || part == "PASSPHRASE" || part == "PWD" || part == "PW")
      return true;
  }
  return false;
}

}  // namespace

bool NameSaysSecret(std::string_view name) {
  std::string normal = NormalName(name);
  static const std::string_view kPublic[] = {
      "GPG_KEY",   "_FINGERPRINT", "_KEY_ID",   "_PUBLIC_KEY", "_KEYRING", "_KEYSERVER",
      "_FILE",     "_PATH",        "_DIR",      "_VERSION",    "_SHA256",  "_SHA512",
      "_SHA1",     "_MD5",         "_CHECKSUM", "_HOST",       "_PORT",    "_USER",
      "_USERNAME", "_URL",         "_ENABLED",  "_LENGTH",     "_SIZE",    "_TTL"};
  for (std::string_view suffix : kPublic)
    if (normal.ends_with(suffix) || normal == suffix.substr(1)) return false;
  static const std::string_view kSecret[] = {"PASSWORD",   "PASSWD", "SECRET",     "TOKEN",
                                             "API_KEY",    "APIKEY", "ACCESS_KEY", "PRIVATE_KEY",
                                             "CREDENTIAL", "AUTH"};
  for (std::string_view word : kSecret)
    if (normal.find(word) != std::string::npos) return true;
  // Variables that tools read a password from, whose names say so only to
  // those who know the tool.
  if (normal == "MYSQL_PWD" || normal == "SSHPASS" || PartSaysPassword(name)) return true;
  // "SIGNING_KEY", "deploy.key", but not "MONKEY".
  return normal == "KEY" || normal.ends_with("_KEY");
}

bool ValueLooksReal(std::string_view value) {
  if (value.size() < 6 || LooksLikePlaceholder(value)) return false;
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower != "true" && lower != "false" &&
         lower.find_first_not_of("0123456789.") != std::string::npos;
}

std::string Redact(std::string_view secret) {
  size_t shown = std::min<size_t>(4, secret.size() / 5);
  std::string text(secret.substr(0, shown));
  text += "…(" + std::to_string(secret.size()) + " characters)";
  return text;
}

bool IsAllowListedContentPath(std::string_view path) {
  // Called for every file of every layer: plain lookups rather than globs.
  static const std::unordered_set<std::string_view> kDirectories = {"testdata", "__tests__",
                                                                    "examples", "example", "docs"};
  static const std::unordered_set<std::string_view> kTestDirectories = {"test", "tests"};
  static const std::unordered_set<std::string_view> kNames = {
      ".env.example",  ".env.sample",    ".env.template", ".env.dist", "package-lock.json",
      "yarn.lock",     "pnpm-lock.yaml", "Cargo.lock",    "go.sum",    "poetry.lock",
      "composer.lock", "Gemfile.lock",   "Pipfile.lock"};
  static const std::string_view kSuffixes[] = {".md", ".rst", ".lock", ".example", ".sample"};
  static const std::string_view kPrefixes[] = {"usr/share/", "etc/ssl/", "usr/include/"};

  for (std::string_view prefix : kPrefixes)
    if (path.starts_with(prefix)) return true;
  std::string_view base = BaseName(path);
  if (kNames.count(base)) return true;
  for (std::string_view suffix : kSuffixes)
    if (base.ends_with(suffix)) return true;

  // Directories on the way: tests of installed packages (under usr/lib,
  // node_modules, site-packages) and fixtures of any test folder.
  bool in_packages = path.starts_with("usr/lib/") ||
                     path.find("node_modules/") != std::string_view::npos ||
                     path.find("-packages/") != std::string_view::npos;
  std::string_view rest = DirName(path);
  std::string_view previous;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (kDirectories.count(part)) return true;
    if (kTestDirectories.count(part) && in_packages) return true;
    if (part == "fixtures" && kTestDirectories.count(previous)) return true;
    previous = part;
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  return false;
}

}  // namespace strata
