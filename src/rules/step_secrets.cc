#include "rules/step_secrets.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <tuple>
#include <utility>

#include "rules/secret_patterns.h"

namespace strata {

namespace {

// Reads the build arguments of |created_by| into |args|; returns where
// they end (after "RUN " for BuildKit's steps without any).
size_t ReadBuildArgs(std::string_view created_by, std::vector<BuildArg>* args) {
  size_t at = created_by.starts_with("RUN ") ? 4 : 0;
  if (at >= created_by.size() || created_by[at] != '|') return at;
  size_t digits = created_by.find_first_not_of("0123456789", at + 1);
  if (digits == at + 1 || digits == std::string_view::npos || created_by[digits] != ' ') return at;
  // A count larger than the words there ends at the step's end; capped so
  // that a crafted one cannot overflow.
  size_t count =
      std::stoul(std::string(created_by.substr(at + 1, std::min<size_t>(digits - at - 1, 6))));
  at = digits + 1;
  for (size_t i = 0; i < count && at < created_by.size(); ++i) {
    size_t end = std::min(created_by.find(' ', at), created_by.size());
    std::string_view pair = created_by.substr(at, end - at);
    size_t equals = pair.find('=');
    if (equals != std::string_view::npos)
      args->push_back({std::string(pair.substr(0, equals)), std::string(pair.substr(equals + 1)),
                       at + equals + 1});
    at = std::min(end + 1, created_by.size());
  }
  return at;
}

}  // namespace

std::vector<BuildArg> BuildArgs(std::string_view created_by) {
  std::vector<BuildArg> args;
  ReadBuildArgs(created_by, &args);
  return args;
}

size_t CommandBegin(std::string_view created_by) {
  std::vector<BuildArg> args;
  size_t at = ReadBuildArgs(created_by, &args);
  constexpr std::string_view kNop = "/bin/sh -c #(nop) ";
  if (created_by.substr(at).starts_with(kNop)) {
    at += kNop.size();
    while (at < created_by.size() && created_by[at] == ' ') ++at;
  }
  return at;
}

namespace {

// A word of a shell command line, an operator between two commands, a
// redirection, or the body of a here-document.
struct Word {
  enum Kind { kText, kOperator, kRedirection, kHereDocument };
  Kind kind = kText;
  std::string text;        // Quotes and escaping backslashes removed.
  std::vector<size_t> at;  // Where each byte of |text| is in the step.
  bool quoted = false;     // Some of |text| was in quotes.
  // A redirection that names its target (">&2", "2>&1"); the others take
  // the next word as theirs ("> /dev/null", "<<EOF").
  bool names_target = false;
};

// How the text of a step is split into words.
enum class Syntax {
  kShell,     // A command line, as sh reads it.
  kExecForm,  // An instruction's JSON array of words: CMD ["mysqld", "--user=mysql"].
  // An ENV, ARG or LABEL instruction's NAME=VALUE words: only blanks split
  // them, since the builder never hands the value to a shell (ENV
  // A=x;y&z sets A to "x;y&z").
  kInstruction,
};

// Splits a command line into words the way sh does, near enough to tell a
// command from its arguments and its arguments from each other: quotes,
// backslashes, comments, the control operators ; & | ( ) ` and newline,
// redirections, and here-documents, whose body follows the word that
// names its delimiter. Nothing is expanded. One word at a time, so that a
// step of megabytes costs no more memory than its longest word.
class WordSplitter {
 public:
  // |at|: where each byte of |text| is in the step; null when |text| is
  // the step itself, from its byte |base| on. |syntax| kExecForm: |text|
  // is an instruction's JSON array of words (or ["mysqld"
  // "--user=mysql"], as the legacy builder records it); kInstruction:
  // operators, redirections and comments are plain bytes of a word.
  WordSplitter(std::string_view text, const size_t* at, size_t base, Syntax syntax = Syntax::kShell)
      : text_(text), at_(at), base_(base), syntax_(syntax) {}

  // The next word into |word|; false at the end of the text.
  bool Next(Word* word) {
    if (body_) {
      *word = std::move(*body_);
      body_.reset();
      return true;
    }
    bool more = NextWord(word);
    if (more && delimiter_next_ && word->kind == Word::kText) ReadHereDocument(*word);
    delimiter_next_ =
        more && word->kind == Word::kRedirection && (word->text == "<<" || word->text == "<<-");
    return more;
  }

 private:
  bool NextWord(Word* word) {
    *word = Word();
    bool started = false;
    while (i_ < text_.size()) {
      char c = text_[i_];
      if (c == '\\' && Peek(1) == '\n') {  // A line continued.
        i_ += 2;
      } else if (c == '\n' && !started && bodies_end_ != std::string_view::npos) {
        // The line's here-documents were read with their delimiters. (A
        // newline in quotes may have put this one past them: on, then.)
        word->kind = Word::kOperator;
        word->text = c;
        i_ = std::max(i_ + 1, bodies_end_);
        bodies_end_ = std::string_view::npos;
        return true;
      } else if (c == ' ' || c == '\t' || c == '\r' ||
                 (syntax_ == Syntax::kExecForm && (c == '[' || c == ']' || c == ',')) ||
                 (syntax_ == Syntax::kInstruction && c == '\n')) {
        ++i_;
        if (started) return true;
      } else if (syntax_ == Syntax::kInstruction && c != '\'' && c != '"' && c != '\\') {
        started = true;
        Add(i_++, word);
      } else if (c == '#' && !started) {  // A comment, to the end of the line.
        i_ = std::min(text_.find('\n', i_), text_.size());
      } else if (c == '<' || c == '>' || (c == '&' && Peek(1) == '>')) {
        // "2>file": the digits before are the descriptor it redirects.
        bool descriptor = started && !word->quoted &&
                          word->text.find_first_not_of("0123456789") == std::string::npos;
        if (started && !descriptor) return true;
        ReadRedirection(word);
        return true;
      } else if (c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '`' ||
                 c == '\n') {
        if (started) return true;
        word->kind = Word::kOperator;
        word->text = c;
        ++i_;
        return true;
      } else {
        started = true;
        if (c == '\'') {
          ReadSingleQuoted(word);
        } else if (c == '"') {
          ReadDoubleQuoted(word);
        } else if (c == '\\' && i_ + 1 < text_.size()) {
          Add(i_ + 1, word);
          i_ += 2;
        } else {
          Add(i_++, word);
        }
      }
    }
    return started;
  }

  // The body of the here-document whose delimiter is |delimiter|, kept for
  // the next call: the lines after the current one (or after the body of
  // the line's last here-document) up to the delimiter's. BuildKit records
  // "cmd <<EOF\nbody\nEOF # buildkit", and buildah the body without its
  // delimiter line, so the last line and the step's end close one too.
  void ReadHereDocument(const Word& delimiter) {
    size_t begin = bodies_end_ != std::string_view::npos ? bodies_end_ : LineAfter(i_);
    bool strip_tabs = delimiter_tabs_;
    size_t end = begin;
    size_t after = text_.size();
    for (size_t line = begin; line < text_.size();) {
      size_t newline = std::min(text_.find('\n', line), text_.size());
      std::string_view shown = text_.substr(line, newline - line);
      if (strip_tabs) shown.remove_prefix(std::min(shown.find_first_not_of('\t'), shown.size()));
      if (shown.ends_with('\r')) shown.remove_suffix(1);
      bool last = newline == text_.size();
      if (shown == delimiter.text || (last && shown == delimiter.text + " # buildkit")) {
        after = std::min(newline + 1, text_.size());
        break;
      }
      line = newline + 1;
      end = std::min(line, text_.size());
    }
    if (begin >= text_.size()) end = after = text_.size();
    bodies_end_ = after;

    Word body;
    body.kind = Word::kHereDocument;
    for (size_t i = begin; i < end; ++i) Add(i, &body);
    body_ = std::move(body);
  }

  // Where the line after the one |at| is in begins, lines continued by a
  // backslash read as one.
  size_t LineAfter(size_t at) const {
    for (size_t i = at; i < text_.size(); ++i)
      if (text_[i] == '\n' && (i == 0 || text_[i - 1] != '\\')) return i + 1;
    return text_.size();
  }

  char Peek(size_t ahead) const { return i_ + ahead < text_.size() ? text_[i_ + ahead] : '\0'; }

  void Add(size_t i, Word* word) const {
    word->text += text_[i];
    word->at.push_back(at_ != nullptr ? at_[i] : base_ + i);
  }

  void ReadSingleQuoted(Word* word) {
    word->quoted = true;
    for (++i_; i_ < text_.size() && text_[i_] != '\''; ++i_) Add(i_, word);
    ++i_;
  }

  // In double quotes a backslash escapes only " \ $ ` and newline.
  void ReadDoubleQuoted(Word* word) {
    word->quoted = true;
    for (++i_; i_ < text_.size() && text_[i_] != '"'; ++i_) {
      if (text_[i_] == '\\' && std::string_view("\"\\$`\n").find(Peek(1)) != std::string::npos) {
        ++i_;  // The byte it escapes; an escaped newline joins two lines.
        if (text_[i_] == '\n') continue;
      }
      Add(i_, word);
    }
    ++i_;
  }

  // "<", ">>", "<<", "<<-", "<<<", ">|", "&>", ">&2", "2>&1", "<&-".
  void ReadRedirection(Word* word) {
    word->kind = Word::kRedirection;
    while (i_ < text_.size() && std::string_view("<>&").find(text_[i_]) != std::string::npos)
      word->text += text_[i_++];
    if (word->text.ends_with('>') && Peek(0) == '|') word->text += text_[i_++];
    delimiter_tabs_ = word->text == "<<" && Peek(0) == '-';
    if (delimiter_tabs_) word->text += text_[i_++];
    if (!word->text.ends_with('&')) return;
    while (i_ < text_.size() &&
           (std::isdigit(static_cast<unsigned char>(text_[i_])) || text_[i_] == '-')) {
      word->text += text_[i_++];
      word->names_target = true;
    }
  }

  std::string_view text_;
  const size_t* at_;
  size_t base_;
  Syntax syntax_;
  size_t i_ = 0;
  bool delimiter_next_ = false;  // The next word names a here-document's delimiter.
  bool delimiter_tabs_ = false;  // "<<-": its lines' leading tabs are dropped.
  // Where the bodies of the current line's here-documents end, or npos.
  size_t bodies_end_ = std::string_view::npos;
  std::optional<Word> body_;  // A body read, not yet returned.
};

// The words of a command line, with the next one in view: an option takes
// the word after it as its value.
class WordStream {
 public:
  // The words of |text| (see WordSplitter).
  WordStream(std::string_view text, const size_t* at, size_t base, Syntax syntax = Syntax::kShell)
      : splitter_(WordSplitter(text, at, base, syntax)) {
    Advance();
  }

  // Words split already.
  explicit WordStream(std::vector<Word> words) : words_(std::move(words)) { Advance(); }

  // The next word, or null at the end.
  const Word* Peek() const { return more_ ? &next_ : nullptr; }

  // The next word; only when Peek() is not null.
  Word Take() {
    Word word = std::move(next_);
    Advance();
    return word;
  }

  // The next word as an option's value: none at the end, before an
  // operator or a redirection, or, with |not_an_option|, before a word
  // that starts with '-'.
  std::optional<Word> TakeValue(bool not_an_option = false) {
    if (!more_ || next_.kind != Word::kText) return std::nullopt;
    if (not_an_option && next_.text.starts_with('-')) return std::nullopt;
    return Take();
  }

 private:
  void Advance() {
    if (splitter_) {
      more_ = splitter_->Next(&next_);
    } else {
      more_ = taken_ < words_.size();
      if (more_) next_ = std::move(words_[taken_++]);
    }
  }

  std::optional<WordSplitter> splitter_;
  std::vector<Word> words_;
  size_t taken_ = 0;
  Word next_;
  bool more_ = false;
};

// How a command takes a password on its command line.
enum class PasswordForm {
  kNone,
  // mysql: -pVALUE, joined ("-p VALUE" asks for the password, and VALUE
  // is the database); mysqladmin's "password NEW" sets one.
  kJoinedToP,
  kAfterP,     // sshpass: -p VALUE or -pVALUE.
  kUserColon,  // curl: -u USER:PASSWORD, --user USER:PASSWORD.
  // docker login -p VALUE (podman, buildah, skopeo, helm registry too):
  // -p is a password only after "login"; docker run -p is a port.
  kLoginP,
  kLastOperand,  // htpasswd -b FILE USER VALUE, htpasswd -nb USER VALUE.
  // openssl -passin pass:VALUE, -passout, -pass; enc -k VALUE; the
  // operands of openssl passwd.
  kPassPrefix,
  kPassOption,   // keytool -storepass VALUE, -keypass, -srcstorepass …
  kOptionValue,  // redis-cli -a VALUE: each of |password_options| takes one.
  // npm config set //registry.npmjs.org/:_authToken VALUE (npm set, pnpm's,
  // yarn's); KEY=VALUE is read in any word (ReadNpmAuthAssignment).
  kConfigSet,
};

// How the arguments of a command are read.
struct CommandShape {
  std::string_view name;  // Its file name; "mysql*": any name that starts so.
  PasswordForm password = PasswordForm::kNone;
  // Commands that run another one (sudo, env, sh -c): the command is the
  // first word after their options and |operands| other words.
  bool runs_command = false;
  std::string_view options_with_value = "";  // Their options that take the next word.
  int operands = 0;                          // gosu USER, timeout 10.
  bool shell = false;                        // sh -c: the command comes after -c.
  std::string_view password_options = "";    // kOptionValue: "-a --pass".
  // redis-cli: the command it sends follows its options (AUTH, ACL
  // SETUSER, CONFIG SET, SENTINEL SET), read by ReadRedisCommand.
  bool redis_commands = false;
};

// TODO: passwords passed in other ways are still shown: in a script a step
// runs, in the words of tools not listed here, in a .netrc line written
// without its "machine" line (echo 'password VALUE' >> ~/.netrc: the
// file's name is not read), under a YAML key that is not a password's
// (token: VALUE).
constexpr CommandShape kCommands[] = {
    {.name = "docker", .password = PasswordForm::kLoginP},
    {.name = "podman", .password = PasswordForm::kLoginP},
    {.name = "buildah", .password = PasswordForm::kLoginP},
    {.name = "skopeo", .password = PasswordForm::kLoginP},
    {.name = "nerdctl", .password = PasswordForm::kLoginP},
    {.name = "helm", .password = PasswordForm::kLoginP},
    {.name = "htpasswd", .password = PasswordForm::kLastOperand},
    {.name = "openssl", .password = PasswordForm::kPassPrefix},
    {.name = "keytool", .password = PasswordForm::kPassOption},
    // --askpass is a switch: redis-cli then reads the password from its input.
    {.name = "redis-cli",
     .password = PasswordForm::kOptionValue,
     .options_with_value = "-h -p -s -u -n -r -i -d -D -e --user --cacert --cacertdir --cert --key "
                           "--tls-ciphers --tls-ciphersuites --sni --pattern --quoted-pattern "
                           "--count --rdb --functions-rdb --eval --memkeys-samples --lru-test "
                           "--replica-id",
     .password_options = "-a --pass",
     .redis_commands = true},
    {.name = "redis-server",
     .password = PasswordForm::kOptionValue,
     .password_options = "--requirepass --masterauth"},
    {.name = "npm", .password = PasswordForm::kConfigSet},
    {.name = "pnpm", .password = PasswordForm::kConfigSet},
    {.name = "yarn", .password = PasswordForm::kConfigSet},
    {.name = "mysql*", .password = PasswordForm::kJoinedToP},
    {.name = "mariadb*", .password = PasswordForm::kJoinedToP},
    {.name = "curl", .password = PasswordForm::kUserColon},
    {.name = "sshpass",
     .password = PasswordForm::kAfterP,
     .runs_command = true,
     .options_with_value = "-p -f -d -P"},
    {.name = "sudo", .runs_command = true, .options_with_value = "-u -g -C -D -h -p -r -t -U -T"},
    {.name = "env", .runs_command = true, .options_with_value = "-u -C -S"},
    {.name = "exec", .runs_command = true, .options_with_value = "-a"},
    {.name = "nice", .runs_command = true, .options_with_value = "-n"},
    {.name = "xargs", .runs_command = true, .options_with_value = "-a -d -E -I -L -n -P -s"},
    {.name = "nohup", .runs_command = true},
    {.name = "command", .runs_command = true},
    {.name = "time", .runs_command = true},
    {.name = "timeout", .runs_command = true, .options_with_value = "-k -s", .operands = 1},
    {.name = "gosu", .runs_command = true, .operands = 1},
    {.name = "su-exec", .runs_command = true, .operands = 1},
    {.name = "chroot", .runs_command = true, .operands = 1},
    {.name = "sh", .runs_command = true, .options_with_value = "-o -O", .shell = true},
    {.name = "bash", .runs_command = true, .options_with_value = "-o -O", .shell = true},
    {.name = "ash", .runs_command = true, .options_with_value = "-o", .shell = true},
    {.name = "dash", .runs_command = true, .options_with_value = "-o", .shell = true},
    {.name = "zsh", .runs_command = true, .options_with_value = "-o", .shell = true},
    {.name = "ksh", .runs_command = true, .options_with_value = "-o", .shell = true},
};

const CommandShape* ShapeOf(std::string_view name) {
  for (const CommandShape& shape : kCommands) {
    if (shape.name.ends_with('*') ? name.starts_with(shape.name.substr(0, shape.name.size() - 1))
                                  : name == shape.name)
      return &shape;
  }
  return nullptr;
}

// True when |list|, words one space apart, holds |word|.
bool ListHas(std::string_view list, std::string_view word) {
  while (!list.empty()) {
    size_t space = std::min(list.find(' '), list.size());
    if (list.substr(0, space) == word) return true;
    list.remove_prefix(std::min(space + 1, list.size()));
  }
  return false;
}

// Words that sh reads as part of its grammar where a command would stand.
bool IsReservedWord(std::string_view word) {
  for (std::string_view reserved : {"if", "then", "else", "elif", "fi", "do", "done", "while",
                                    "until", "for", "in", "case", "esac", "!", "{", "}"})
    if (word == reserved) return true;
  return false;
}

// A variable's name, or an option's: DB_PASSWORD, db.password, api-key.
bool IsName(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

// A shell assignment, which stands before a command (X=1 cmd) or alone.
bool IsShellAssignment(std::string_view word) {
  size_t equals = word.find('=');
  if (equals == std::string_view::npos) return false;
  std::string_view name = word.substr(0, equals);
  return IsName(name) && name.find_first_of(".-") == std::string_view::npos;
}

// A value where only a password goes (mysql -pVALUE, curl -u USER:VALUE,
// --password VALUE): any literal is one, however short or plain, since its
// place says what it is. References and placeholders ($PW, ${PW},
// $(cat /run/secrets/pw), <password>) are not.
bool IsTypedPassword(std::string_view value) {
  return !value.empty() && !LooksLikePlaceholder(value);
}

// An option's name in capitals, '-' read as '_': "http-password" is
// HTTP_PASSWORD.
std::string UpperName(std::string_view name) {
  std::string upper(name);
  for (char& c : upper)
    c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

// True when |name|'s last part is a word for a password: db.password,
// DB_PASSWD, smtp_pass, GPG_PASSPHRASE, MYSQL_PWD, bind-pw.
bool NamesPassword(std::string_view name) {
  std::string upper = UpperName(name.substr(name.find_last_of("_.-") + 1));
  for (std::string_view word : {"PASSWORD", "PASSWD", "PASS", "PASSPHRASE", "PWD", "PW"})
    if (upper == word || (word.size() > 4 && upper.ends_with(word))) return true;
  return false;
}

// The command that a word of a command line belongs to.
struct Command {
  std::string name;  // Its file name; "" while no word has named it.
  const CommandShape* shape = nullptr;
  bool reading_options = false;  // Of a command that runs another one.
  int operands_left = 0;
  bool login = false;        // kLoginP: "login" was among its words.
  bool batch = false;        // kLastOperand: htpasswd -b.
  std::string last_operand;  // kLastOperand: the one before, the user's name.
  int operands = 0;          // kLastOperand, kPassPrefix: how many so far.
  bool no_file = false;      // kLastOperand: htpasswd -n.
  bool passwd = false;       // kPassPrefix: openssl passwd, whose operands are passwords.
  bool setting = false;      // kConfigSet: "set" was among its words.
  // redis-cli: the words of the command it sends so far, in capitals.
  std::vector<std::string> redis_words;
  // Reads a password on its input: "docker --password-stdin", "openssl
  // passwd -stdin"; "" for commands that read none there.
  std::string stdin_reader;
  // echo: the line its words write, one space apart.
  std::optional<Word> echoed_line;
  // printf: its format, and the arguments that fill its directives.
  std::optional<Word> format;
  std::vector<Word> format_arguments;
};

// Commands that read passwords from their standard input, one a line:
// chpasswd reads USER:PASSWORD lines, passwd the new password (twice).
bool ReadsPasswordLines(std::string_view name) { return name == "passwd"; }
bool ReadsUserPasswordLines(std::string_view name) {
  return name == "chpasswd" || name == "chgpasswd";
}

// The lines of a word echo or printf writes: split at newlines and at the
// "\n" escapes they turn into newlines. [begin, end) of each in |word|.
std::vector<std::pair<size_t, size_t>> Lines(const Word& word) {
  std::vector<std::pair<size_t, size_t>> lines;
  const std::string& text = word.text;
  size_t begin = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    bool newline = i < text.size() && text[i] == '\n';
    bool escape = i + 1 < text.size() && text[i] == '\\' && text[i + 1] == 'n';
    if (i < text.size() && !newline && !escape) continue;
    if (i > begin) lines.push_back({begin, i});
    if (escape) ++i;
    begin = i + 1;
  }
  return lines;
}

// The tokens of the line [begin, end) of |text|, split at spaces and tabs;
// [begin, end) of each.
std::vector<std::pair<size_t, size_t>> Tokens(std::string_view text, size_t begin, size_t end) {
  std::vector<std::pair<size_t, size_t>> tokens;
  for (size_t at = begin; at < end;) {
    size_t first = std::min(text.find_first_not_of(" \t\r", at), end);
    size_t last = std::min(text.find_first_of(" \t\r", first), end);
    if (first < last) tokens.push_back({first, last});
    at = last;
  }
  return tokens;
}

// [begin, end) of |text| without the quotes around it, if any.
std::pair<size_t, size_t> Unquoted(std::string_view text, size_t begin, size_t end) {
  bool quoted = end - begin >= 2 && (text[begin] == '"' || text[begin] == '\'') &&
                text[end - 1] == text[begin];
  return quoted ? std::make_pair(begin + 1, end - 1) : std::make_pair(begin, end);
}

// Where a quoted literal that |text| holds at |at| (after spaces) ends,
// and its first byte; nullopt when no quote opens there.
std::optional<std::pair<size_t, size_t>> QuotedAt(std::string_view text, size_t at) {
  while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
  if (at >= text.size() || (text[at] != '\'' && text[at] != '"')) return std::nullopt;
  size_t close = text.find(text[at], at + 1);
  if (close == std::string_view::npos) return std::nullopt;
  return std::make_pair(at + 1, close);
}

// True when |text| holds |word| at |at|, whatever the case, not inside a
// longer name.
bool KeywordAt(std::string_view text, size_t at, std::string_view word) {
  if (at + word.size() > text.size()) return false;
  for (size_t i = 0; i < word.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(text[at + i])) != word[i]) return false;
  auto name_byte = [&text](size_t i) {
    return i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_');
  };
  return !(at > 0 && name_byte(at - 1)) && !name_byte(at + word.size());
}

// True when |text| is |word| in any case.
bool SameWord(std::string_view text, std::string_view word) {
  return text.size() == word.size() &&
         std::equal(text.begin(), text.end(), word.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

// The schemes of an Authorization header that a credential follows.
bool IsAuthScheme(std::string_view word) {
  for (std::string_view scheme : {"Basic", "Bearer", "Token", "Digest", "Negotiate", "NTLM"})
    if (SameWord(word, scheme)) return true;
  return false;
}

// A setting of npm's (and pnpm's) that holds a credential, alone or for a
// registry: _authToken, //registry.npmjs.org/:_authToken, _auth,
// _password; yarn's npmAuthToken and npmAuthIdent, alone or for a scope
// (npmScopes.corp.npmAuthToken).
bool IsNpmAuthKey(std::string_view key) {
  for (std::string_view name : {"_authToken", "_auth", "_password"})
    if (key == name || (key.ends_with(name) && key[key.size() - name.size() - 1] == ':'))
      return true;
  for (std::string_view name : {"npmAuthToken", "npmAuthIdent"})
    if (key == name || (key.ends_with(name) && key[key.size() - name.size() - 1] == '.'))
      return true;
  return false;
}

// Reads command lines and notes the passwords typed into them.
class CommandLineReader {
 public:
  explicit CommandLineReader(std::vector<StepSecret>* found) : found_(found) {}

  void Read(WordStream words, int depth) {
    Command command;
    while (words.Peek() != nullptr) {
      Word word = words.Take();
      if (word.kind == Word::kOperator) {
        // A subshell where a command would start, "| (chpasswd || true)":
        // its first command reads the input the group reads.
        if (word.text == "(" && command.name.empty()) continue;
        EndCommand(command, depth);
        // What echo or printf wrote is the next command's input through a
        // pipe, and no command's after anything else.
        stdin_.clear();
        if (word.text == "|") stdin_ = std::move(echoed_);
        echoed_.clear();
        command = Command();
        continue;
      }
      if (word.kind == Word::kRedirection) {
        std::optional<Word> target;
        if (!word.names_target) target = words.TakeValue();
        if (word.text == "<<<" && target) {  // A here-string: the input.
          stdin_ = {std::move(*target)};
          ReadInput(command);
          stdin_.clear();
        }
        if (words.Peek() != nullptr && words.Peek()->kind == Word::kHereDocument)
          ReadHereDocument(words.Take(), &command, depth);
        continue;
      }
      if (word.kind == Word::kHereDocument) continue;  // Of no redirection.
      // A command line in quotes: sh -c "…", su -c '…', "$(…)".
      if (word.quoted && depth < kMaxDepth &&
          word.text.find_first_of(" \t\n;&|(`") != std::string::npos)
        Read(WordStream(word.text, word.at.data(), 0), depth + 1);
      ReadSqlText(word);

      if (command.name.empty()) {
        StartCommand(word, &command);
      } else if (command.reading_options) {
        ReadOwnOption(word, &words, &command);
      } else {
        ReadArgument(word, &words, &command);
      }
    }
    EndCommand(command, depth);
  }

 private:
  // sh -c "su -c 'bash -c …'" is as deep as build steps go.
  static constexpr int kMaxDepth = 3;

  // The bytes of |word| from |begin| on.
  void Found(const Word& word, size_t begin, std::string passed_as, std::string name = "") {
    FoundRange(word, begin, word.at.size(), std::move(passed_as), std::move(name));
  }

  // The bytes [begin, end) of |word|.
  void FoundRange(const Word& word, size_t begin, size_t end, std::string passed_as,
                  std::string name = "") {
    if (begin >= end || end > word.at.size()) return;
    found_->push_back(
        {word.at[begin], word.at[end - 1] + 1, std::move(passed_as), std::move(name)});
  }

  // What is read once |command|'s words are all read: the line echo
  // wrote, as configuration and as a command line (echo mysql -p… >>
  // run.sh writes a script; quoted, the words were read so already), and
  // what printf wrote, its arguments in its format.
  void EndCommand(const Command& command, int depth) {
    if (command.echoed_line) {
      ReadWrittenLines(*command.echoed_line);
      if (depth < kMaxDepth) ReadWrittenCommandLine(*command.echoed_line, depth);
    }
    if (command.format) {
      // Through a pipe goes what printf writes, not its words: "root:%s"
      // and the argument that fills it are one line for chpasswd.
      Word written = Formatted(*command.format, command.format_arguments);
      ReadWrittenLines(written);
      echoed_ = {std::move(written)};
    }
  }

  // |line| read as a command line, leaving what the command line it is
  // written in pipes on as it was.
  void ReadWrittenCommandLine(const Word& line, int depth) {
    std::vector<Word> echoed = std::move(echoed_), input = std::move(stdin_);
    echoed_.clear();
    stdin_.clear();
    Read(WordStream(line.text, line.at.data(), 0), depth + 1);
    echoed_ = std::move(echoed);
    stdin_ = std::move(input);
  }

  // What printf writes: |format| with each conversion (%s, %-8s, %b, %d …)
  // replaced by the next of |arguments|, and %% by %; the format again
  // while arguments are left, as printf does. Each byte is where it came
  // from, so a password found there is hidden in its argument.
  static Word Formatted(const Word& format, const std::vector<Word>& arguments) {
    Word written;
    size_t next = 0;
    do {
      size_t used = next;
      const std::string& text = format.text;
      for (size_t i = 0; i < text.size(); ++i) {
        size_t conversion = text[i] == '%' && i + 1 < text.size()
                                ? text.find_first_not_of("-+ #0123456789.", i + 1)
                                : std::string::npos;
        if (conversion == std::string::npos || text[conversion] == '%' ||
            !std::isalpha(static_cast<unsigned char>(text[conversion]))) {
          written.text += text[i];
          written.at.push_back(format.at[i]);
          if (conversion != std::string::npos && text[conversion] == '%') i = conversion;
          continue;
        }
        if (next < arguments.size()) {
          written.text += arguments[next].text;
          written.at.insert(written.at.end(), arguments[next].at.begin(), arguments[next].at.end());
          ++next;
        }
        i = conversion;
      }
      if (next == used) break;  // No conversions: the arguments are not written.
    } while (next < arguments.size());
    return written;
  }

  // |word| added to the words of |line|, after a space.
  static void AddToLine(const Word& word, std::optional<Word>* line) {
    if (!*line) {
      *line = word;
      return;
    }
    // The space stands where the last byte is: no password found in a
    // line spans it, since passwords there are tokens between spaces.
    (*line)->text += ' ';
    (*line)->at.push_back((*line)->at.empty() ? 0 : (*line)->at.back());
    (*line)->text += word.text;
    (*line)->at.insert((*line)->at.end(), word.at.begin(), word.at.end());
  }

  // The input echo or printf piped into |command|, or a here-document or
  // here-string gave it, when it reads passwords there: chpasswd's
  // USER:PASSWORD lines, passwd's lines, a --password-stdin's password.
  // Returns whether it does.
  bool ReadInput(const Command& command) {
    bool pairs = ReadsUserPasswordLines(command.name);
    if (!pairs && !ReadsPasswordLines(command.name) && command.stdin_reader.empty()) return false;
    ReadPipedPasswords(pairs, command.stdin_reader.empty() ? command.name : command.stdin_reader);
    return true;
  }

  // The body of a here-document, |command|'s input: the passwords of a
  // command that reads them there; a script for a shell (sh <<EOF) to
  // run; otherwise text the command writes or reads (cat <<EOF > FILE,
  // mysql <<EOF), whose configuration lines, SQL and npm settings may hold
  // a password, and which is read as command lines too, since a file
  // written so is often a script (an entrypoint). cat's and tee's output
  // goes on through a pipe.
  void ReadHereDocument(Word body, Command* command, int depth) {
    bool shell = command->shape != nullptr && command->shape->shell;
    if (!shell) {
      stdin_ = {body};
      bool read = ReadInput(*command);
      stdin_.clear();
      if (read) return;
    }
    if (depth < kMaxDepth) Read(WordStream(body.text, body.at.data(), 0), depth + 1);
    if (shell) return;
    ReadWrittenLines(body);
    ReadSqlText(body);
    ReadNpmAuthAssignment(body);
    if (command->name == "cat" || command->name == "tee") echoed_.push_back(std::move(body));
  }

  // Lines of configuration in text a step writes (echo, printf, a
  // here-document) that hold a password: redis's (ReadRedisLine),
  // .netrc's "machine HOST login USER password VALUE" (on one line or
  // several), and "NAME=VALUE", "NAME = VALUE", "NAME: VALUE", JSON's
  // "NAME": "VALUE" or XML's <NAME>VALUE</NAME> where NAME says secret and
  // the value looks real, as for an assignment on the command line.
  void ReadWrittenLines(const Word& word) {
    bool netrc = false;
    for (auto [begin, end] : Lines(word)) {
      std::vector<std::pair<size_t, size_t>> tokens = Tokens(word.text, begin, end);
      if (tokens.empty()) continue;
      auto token = [&](size_t i) {
        return std::string_view(word.text).substr(tokens[i].first,
                                                  tokens[i].second - tokens[i].first);
      };
      netrc = netrc || SameWord(token(0), "machine") || SameWord(token(0), "default");
      if (ReadRedisLine(word, end, tokens)) continue;
      if (netrc) {
        for (size_t i = 0; i + 1 < tokens.size(); ++i)
          if (token(i) == "password") FoundToken(word, tokens[i + 1], "password ");
      } else {
        ReadWrittenAssignment(word, begin, end);
        ReadJsonMembers(word, begin, end);
        ReadXmlElements(word, begin, end);
      }
    }
  }

  // redis's password lines, the line [tokens' first, end) of |word|:
  // "requirepass VALUE", "masterauth VALUE", "sentinel auth-pass MASTER
  // VALUE", "sentinel sentinel-pass VALUE" (the value quoted as redis
  // reads it, spaces and all), and an ACL rule "user NAME … >PASSWORD …",
  // each ">" token a password (">pass word" and >"pass word" quoted; a
  // "#HASH" token is none). Returns whether the line is one of them; a
  // "user" line without a ">" token is left to the other readers.
  bool ReadRedisLine(const Word& word, size_t end,
                     const std::vector<std::pair<size_t, size_t>>& tokens) {
    std::string_view text = word.text;
    auto token = [&](size_t i) {
      return text.substr(tokens[i].first, tokens[i].second - tokens[i].first);
    };
    // How many tokens come before the value: the directive's words.
    size_t words = 0;
    if (SameWord(token(0), "requirepass") || SameWord(token(0), "masterauth"))
      words = 1;
    else if (tokens.size() > 1 && SameWord(token(0), "sentinel"))
      words = SameWord(token(1), "auth-pass") ? 3 : SameWord(token(1), "sentinel-pass") ? 2 : 0;
    if (words > 0) {
      if (tokens.size() <= words) return false;
      std::string passed_as(text.substr(tokens[0].first, tokens[words].first - tokens[0].first));
      auto [begin, value_end] = RedisValue(text, tokens[words].first, tokens[words].second, end);
      FoundRedisValue(word, begin, value_end, std::move(passed_as));
      return true;
    }
    if (tokens.size() < 3 || !SameWord(token(0), "user")) return false;
    std::string passed_as = "user " + std::string(token(1)) + " >";
    bool rule = false;
    for (size_t i = 2, after = 0; i < tokens.size(); ++i) {
      auto [first, last] = tokens[i];
      if (first < after) continue;  // Inside the quotes of the last password.
      bool quote_first = last - first > 1 && (text[first] == '"' || text[first] == '\'');
      size_t mark = quote_first ? first + 1 : first;
      if (text[mark] != '>') continue;
      // ">pass word": the quote opens before the mark, and closes the value.
      auto [begin, value_end] =
          quote_first ? RedisValue(text, first, last, end) : RedisValue(text, mark + 1, last, end);
      if (quote_first) ++begin;
      after = value_end + 1;
      rule = true;
      FoundRedisValue(word, begin, value_end, passed_as);
    }
    return rule;
  }

  // Where the value redis reads from the token [first, last) of a line
  // that ends at |end| in |text| ends, and where it begins: a value in
  // double quotes (with \-escapes) or single quotes runs to the closing
  // one, past spaces; any other is the token.
  static std::pair<size_t, size_t> RedisValue(std::string_view text, size_t first, size_t last,
                                              size_t end) {
    if (first >= last || (text[first] != '"' && text[first] != '\'')) return {first, last};
    for (size_t i = first + 1; i < end; ++i) {
      if (text[i] == '\\') {
        ++i;
      } else if (text[i] == text[first]) {
        return {first + 1, i};
      }
    }
    return {first, last};  // Not closed: redis refuses the line; hide the token.
  }

  // The bytes [begin, end) of |word|, when they are a password rather
  // than a reference or placeholder ($REDIS_PASSWORD).
  void FoundRedisValue(const Word& word, size_t begin, size_t end, std::string passed_as) {
    if (begin < end && IsTypedPassword(std::string_view(word.text).substr(begin, end - begin)))
      FoundRange(word, begin, end, std::move(passed_as));
  }

  // A password that is a whole token of a line, quotes around it left out.
  void FoundToken(const Word& word, std::pair<size_t, size_t> token, std::string passed_as) {
    auto [begin, end] = Unquoted(word.text, token.first, token.second);
    if (IsTypedPassword(std::string_view(word.text).substr(begin, end - begin)))
      FoundRange(word, begin, end, std::move(passed_as));
  }

  // "NAME=VALUE", "NAME = VALUE" or "NAME: VALUE" on the line [begin, end)
  // of |word|, the value to the line's end, quotes around it left out.
  // YAML's "NAME: VALUE" counts only for a password's name: "token:
  // enabled" is more often a setting than a credential.
  void ReadWrittenAssignment(const Word& word, size_t begin, size_t end) {
    std::string_view text = word.text;
    begin = std::min(text.find_first_not_of(" \t", begin), end);
    size_t separator = std::min(text.find_first_of("=:", begin), end);
    if (separator == end) return;
    std::string_view name = text.substr(begin, separator - begin);
    while (name.ends_with(' ') || name.ends_with('\t')) name.remove_suffix(1);
    if (!IsName(name) || !NameSaysSecret(name)) return;
    if (text[separator] == ':' && !NamesPassword(name)) return;
    size_t value_begin = std::min(text.find_first_not_of(" \t", separator + 1), end);
    size_t value_end = end;
    while (value_end > value_begin && std::isspace(static_cast<unsigned char>(text[value_end - 1])))
      --value_end;
    std::tie(value_begin, value_end) = Unquoted(text, value_begin, value_end);
    if (ValueLooksReal(text.substr(value_begin, value_end - value_begin)))
      FoundRange(word, value_begin, value_end, std::string(text.substr(begin, value_begin - begin)),
                 std::string(name));
  }

  // JSON's "NAME": "VALUE" members on the line [begin, end) of |word|,
  // any number of them ({"user": "app", "password": "…"}), where NAME
  // says secret and the value, a string, looks real, as for an assignment.
  void ReadJsonMembers(const Word& word, size_t begin, size_t end) {
    std::string_view text = std::string_view(word.text).substr(0, end);
    for (size_t open = text.find('"', begin); open != std::string_view::npos;) {
      size_t close = StringEnd(text, open);
      if (close == std::string_view::npos) return;
      size_t colon = std::min(text.find_first_not_of(" \t", close + 1), end);
      if (colon == end || text[colon] != ':') {
        open = text.find('"', close + 1);
        continue;
      }
      std::string_view name = text.substr(open + 1, close - open - 1);
      size_t value_open = std::min(text.find_first_not_of(" \t", colon + 1), end);
      if (value_open == end || text[value_open] != '"') {
        open = text.find('"', colon);
        continue;
      }
      size_t value_close = StringEnd(text, value_open);
      if (value_close == std::string_view::npos) return;
      std::string_view value = text.substr(value_open + 1, value_close - value_open - 1);
      if (IsName(name) && NameSaysSecret(name) && ValueLooksReal(value))
        FoundRange(word, value_open + 1, value_close,
                   std::string(text.substr(open, value_open + 1 - open)), std::string(name));
      open = text.find('"', value_close + 1);
    }
  }

  // XML's <NAME>VALUE</NAME> elements on the line [begin, end) of |word|,
  // any number of them (Maven's <server><id>x</id><password>…</password>
  // </server>), where NAME says secret and the value looks real, as for
  // an assignment. A value holds no '<', which XML escapes.
  void ReadXmlElements(const Word& word, size_t begin, size_t end) {
    std::string_view text = std::string_view(word.text).substr(0, end);
    for (size_t open = text.find('<', begin); open != std::string_view::npos;
         open = text.find('<', open + 1)) {
      // The name's bytes, then '>': a search that stops there, so that a
      // line of many '<' costs no more than its length.
      size_t close = text.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", open + 1);
      if (close == std::string_view::npos || text[close] != '>') continue;
      std::string_view name = text.substr(open + 1, close - open - 1);
      if (!IsName(name) || !NameSaysSecret(name)) continue;
      size_t value_end = std::min(text.find('<', close), text.size());
      std::string end_tag = "</" + std::string(name) + ">";
      if (text.substr(value_end).substr(0, end_tag.size()) != end_tag) continue;
      if (ValueLooksReal(text.substr(close + 1, value_end - close - 1)))
        FoundRange(word, close + 1, value_end, "<" + std::string(name) + ">");
    }
  }

  // Where the JSON string that opens at |open| in |text| closes, escaped
  // quotes skipped; npos when it does not.
  static size_t StringEnd(std::string_view text, size_t open) {
    for (size_t i = open + 1; i < text.size(); ++i) {
      if (text[i] == '\\') {
        ++i;
      } else if (text[i] == '"') {
        return i;
      }
    }
    return std::string_view::npos;
  }

  // Each line of the piped words a password, or with |pairs| the part of
  // it after the first ':'.
  void ReadPipedPasswords(bool pairs, const std::string& reader) {
    for (const Word& word : stdin_) {
      for (auto [begin, end] : Lines(word)) {
        if (pairs) {
          size_t colon = word.text.find(':', begin);
          if (colon == std::string::npos || colon >= end) continue;
          begin = colon + 1;
        }
        if (IsTypedPassword(std::string_view(word.text).substr(begin, end - begin)))
          FoundRange(word, begin, end, "input of " + reader + ": ");
      }
    }
    stdin_.clear();
  }

  // Passwords in SQL or script text within a word: IDENTIFIED BY '…',
  // PASSWORD '…' (CREATE USER … WITH PASSWORD, SET PASSWORD = …,
  // PASSWORD('…')), and a MongoDB user's pwd: '…'. Only a quoted literal
  // counts: PASSWORD $1 or a variable is a reference.
  void ReadSqlText(const Word& word) {
    std::string_view text = word.text;
    if (text.size() < 6) return;
    bool identified = false;
    for (size_t at = 0; at < text.size(); ++at) {
      std::optional<std::pair<size_t, size_t>> literal;
      std::string prefix;
      if (KeywordAt(text, at, "IDENTIFIED")) {
        identified = true;
      } else if (identified && KeywordAt(text, at, "BY")) {
        literal = QuotedAt(text, at + 2);
        prefix = "IDENTIFIED ";
        identified = false;
      } else if (KeywordAt(text, at, "PASSWORD") &&
                 !(at + 8 < text.size() && (text[at + 8] == '"' || text[at + 8] == '\''))) {
        // A quoted "password" is a key ({"password": "…"}), which
        // ReadJsonMembers reads; PASSWORD in SQL stands unquoted.
        size_t after = at + 8;
        while (after < text.size() && (text[after] == ' ' || text[after] == '=')) ++after;
        if (after < text.size() && text[after] == '(') ++after;
        literal = QuotedAt(text, after);
      } else if (KeywordAt(text, at, "PWD")) {
        size_t after = at + 3;
        if (after < text.size() && (text[after] == '"' || text[after] == '\'')) ++after;
        while (after < text.size() && text[after] == ' ') ++after;
        if (after < text.size() && text[after] == ':') literal = QuotedAt(text, after + 1);
      }
      if (literal && IsTypedPassword(text.substr(literal->first, literal->second - literal->first)))
        FoundRange(word, literal->first, literal->second,
                   prefix + std::string(text.substr(at, literal->first - at)));
    }
  }

  // A URL whose query names a secret: https://api.example/x?access_token=….
  void ReadUrlQuery(const Word& word) {
    std::string_view text = word.text;
    size_t scheme = text.find("://");
    size_t query = text.find('?', scheme == std::string_view::npos ? text.size() : scheme);
    if (query == std::string_view::npos) return;
    for (size_t begin = query + 1; begin < text.size();) {
      size_t end = std::min(text.find_first_of("&#", begin), text.size());
      std::string_view pair = text.substr(begin, end - begin);
      size_t equals = pair.find('=');
      if (equals != std::string_view::npos && NameSaysSecret(pair.substr(0, equals)) &&
          ValueLooksReal(pair.substr(equals + 1)))
        FoundRange(word, begin + equals + 1, end,
                   "?" + std::string(text.substr(begin, equals + 1)));
      if (end < text.size() && text[end] == '#') break;
      begin = end + 1;
    }
  }

  // |word| where a command stands: assignments before it, a reserved word,
  // or the command itself.
  void StartCommand(const Word& word, Command* command) {
    if (IsShellAssignment(word.text)) {
      ReadAssignment(word);
      return;
    }
    if (IsReservedWord(word.text)) return;
    // A whole command line in quotes ("mysql -p… < /x.sql" after sh -c)
    // was read as one; as a command it is no tool this reader knows.
    std::string_view path(word.text);
    bool command_line = path.find_first_of(" \t\n") != std::string_view::npos;
    path = path.substr(0, path.find_first_of(" \t\n"));
    command->name = path.substr(path.rfind('/') + 1);
    command->shape = command_line ? nullptr : ShapeOf(command->name);
    command->reading_options = command->shape != nullptr && command->shape->runs_command;
    command->operands_left = command->shape != nullptr ? command->shape->operands : 0;
    ReadInput(*command);
  }

  // An option or operand of a command that runs another (sudo, sshpass, sh
  // -c), or the command it runs.
  void ReadOwnOption(const Word& word, WordStream* words, Command* command) {
    const CommandShape& shape = *command->shape;
    const std::string& text = word.text;
    if (text == "--") {
      *command = Command();
    } else if (text.size() > 1 && text[0] == '-') {
      if (shape.password == PasswordForm::kAfterP && ReadAfterP(word, words, *command)) return;
      // "-c", "-ec", "-xc": the command line follows.
      if (shape.shell && text[1] != '-' && text.find('c') != std::string::npos) {
        *command = Command();
        return;
      }
      if (ListHas(shape.options_with_value, text)) words->TakeValue();
    } else if (command->operands_left > 0) {
      --command->operands_left;
    } else {
      *command = Command();
      StartCommand(word, command);
    }
  }

  void ReadArgument(const Word& word, WordStream* words, Command* command) {
    // echo's options (before its first word) are not what it writes;
    // printf's format is.
    bool echo_option = word.text.starts_with('-') && !command->echoed_line;
    // printf -v VAR FORMAT (bash's) keeps what it writes in VAR: the text
    // is still the step's, and read as written.
    if (command->name == "printf" && !command->format && (word.text == "-v" || word.text == "--")) {
      if (word.text == "-v") words->TakeValue();
      return;
    }
    if (command->name == "printf" || (command->name == "echo" && !echo_option)) {
      echoed_.push_back(word);
      if (command->name == "echo")
        AddToLine(word, &command->echoed_line);
      else if (command->format)
        command->format_arguments.push_back(word);
      else
        command->format = word;
    }
    if (word.text == "--password-stdin") {
      command->stdin_reader = command->name + " --password-stdin";
      ReadPipedPasswords(false, command->stdin_reader);
      return;
    }
    PasswordForm form = command->shape != nullptr ? command->shape->password : PasswordForm::kNone;
    if (form == PasswordForm::kJoinedToP && ReadJoinedToP(word, words, *command)) return;
    if (form == PasswordForm::kUserColon && ReadUserColon(word, words, *command)) return;
    if (form == PasswordForm::kLoginP && ReadLoginP(word, words, command)) return;
    if (form == PasswordForm::kLastOperand && ReadBatchOperand(word, command)) return;
    if (form == PasswordForm::kPassPrefix && ReadOpensslPasswd(word, words, command)) return;
    if (form == PasswordForm::kPassPrefix && ReadPassPrefix(word, words, *command)) return;
    if (form == PasswordForm::kPassOption && ReadPassOption(word, words, *command)) return;
    if (form == PasswordForm::kOptionValue && ReadNamedOption(word, words, *command)) return;
    if (command->shape != nullptr && command->shape->redis_commands &&
        ReadRedisCommand(word, words, command))
      return;
    if (form == PasswordForm::kConfigSet && ReadConfigSet(word, words, command)) return;
    if (ReadPasswordOption(word, words, *command)) return;
    if (ReadSecretOption(word, words, *command)) return;
    if (ReadHeader(word, *command)) return;
    ReadNpmAuthAssignment(word);
    ReadUrlQuery(word);
    ReadAssignment(word);
  }

  // docker login -p VALUE, -pVALUE (and --password, read as anywhere).
  bool ReadLoginP(const Word& word, WordStream* words, Command* command) {
    if (word.text == "login") {
      command->login = true;
      return true;
    }
    if (!command->login || !word.text.starts_with("-p") || word.text.starts_with("--"))
      return false;
    if (word.text == "-p") {
      if (std::optional<Word> value = words->TakeValue(); value && IsTypedPassword(value->text))
        Found(*value, 0, command->name + " login -p ");
    } else if (IsTypedPassword(std::string_view(word.text).substr(2))) {
      Found(word, 2, command->name + " login -p");
    }
    return true;
  }

  // htpasswd -b takes the password as its last operand: FILE USER VALUE,
  // or USER VALUE with -n. The finding names the user ("htpasswd -b …
  // admin "), which stands just before it.
  bool ReadBatchOperand(const Word& word, Command* command) {
    const std::string& text = word.text;
    if (text.size() > 1 && text[0] == '-') {
      command->batch = command->batch || text.find('b') != std::string::npos;
      command->no_file = command->no_file || text.find('n') != std::string::npos;
      return true;
    }
    ++command->operands;
    if (command->batch && command->operands == (command->no_file ? 2 : 3) && IsTypedPassword(text))
      Found(word, 0, command->name + " -b … " + command->last_operand + " ");
    command->last_operand = text;
    return true;
  }

  // openssl passwd [-1|-5|-6|-apr1|-salt SALT …] VALUE…: each operand is
  // a password to hash, and with -stdin the lines piped to it are.
  bool ReadOpensslPasswd(const Word& word, WordStream* words, Command* command) {
    const std::string& text = word.text;
    if (!command->passwd) {
      bool operand = !text.starts_with('-');
      if (operand && command->operands++ == 0 && text == "passwd") command->passwd = true;
      return command->passwd;
    }
    if (text == "-stdin") {
      command->stdin_reader = command->name + " passwd -stdin";
      ReadPipedPasswords(false, command->stdin_reader);
    } else if (ListHas("-salt -in -rand -writerand -provider -provider-path -propquery", text)) {
      words->TakeValue();
    } else if (!text.starts_with('-') && IsTypedPassword(text)) {
      Found(word, 0, command->name + " passwd ");
    }
    return true;
  }

  // openssl -passin pass:VALUE (-passout, -pass, -password); enc -k VALUE.
  // env:VAR, file:PATH, fd:N and stdin name where the password is.
  bool ReadPassPrefix(const Word& word, WordStream* words, const Command& command) {
    const std::string& text = word.text;
    if (text == "-k") {
      if (std::optional<Word> value = words->TakeValue(); value && IsTypedPassword(value->text))
        Found(*value, 0, command.name + " -k ");
      return true;
    }
    if (!text.starts_with("-pass")) return false;
    std::optional<Word> value = words->TakeValue();
    if (value && value->text.starts_with("pass:") &&
        IsTypedPassword(std::string_view(value->text).substr(5)))
      Found(*value, 5, command.name + " " + text + " pass:");
    return true;
  }

  // keytool -storepass VALUE, -keypass, -srcstorepass, -destkeypass …
  bool ReadPassOption(const Word& word, WordStream* words, const Command& command) {
    const std::string& text = word.text;
    if (text.size() < 6 || text[0] != '-' || text[1] == '-' || !text.ends_with("pass"))
      return false;
    if (std::optional<Word> value = words->TakeValue(); value && IsTypedPassword(value->text))
      Found(*value, 0, command.name + " " + text + " ");
    return true;
  }

  // redis-cli -a VALUE, --pass VALUE; redis-server --requirepass VALUE:
  // the options of |password_options|, each followed by the password.
  bool ReadNamedOption(const Word& word, WordStream* words, const Command& command) {
    if (!ListHas(command.shape->password_options, word.text)) return false;
    if (std::optional<Word> value = words->TakeValue(); value && IsTypedPassword(value->text))
      Found(*value, 0, command.name + " " + word.text + " ");
    return true;
  }

  // The command redis-cli sends, after its options: AUTH [USER] VALUE,
  // ACL SETUSER NAME … >VALUE (each >VALUE a password, as in an ACL
  // file), CONFIG SET requirepass VALUE (masterauth; several pairs may
  // follow), SENTINEL SET MASTER auth-pass VALUE. Its options' values
  // are skipped, so "-h cache" is not read as the command.
  bool ReadRedisCommand(const Word& word, WordStream* words, Command* command) {
    const std::string& text = word.text;
    std::vector<std::string>& sent = command->redis_words;
    if (sent.empty() && text.starts_with('-')) {
      if (!ListHas(command->shape->options_with_value, text)) return false;
      words->TakeValue();
      return true;
    }
    sent.push_back(UpperName(text));
    auto sends = [&sent](std::initializer_list<std::string_view> head) {
      return sent.size() > head.size() && std::equal(head.begin(), head.end(), sent.begin());
    };
    if (sends({"AUTH"}) && sent.size() == 2) {
      // AUTH USER VALUE names a user first; AUTH VALUE does not.
      const Word* next = words->Peek();
      bool user_first = next != nullptr && next->kind == Word::kText;
      std::optional<Word> value = user_first ? words->TakeValue() : word;
      if (value && IsTypedPassword(value->text)) Found(*value, 0, command->name + " AUTH … ");
      return true;
    }
    // <VALUE takes a password away: often the same password.
    if (sends({"ACL", "SETUSER"}) && sent.size() > 3 && text.size() > 1 &&
        (text[0] == '>' || text[0] == '<') && IsTypedPassword(std::string_view(text).substr(1))) {
      Found(word, 1, command->name + " ACL SETUSER … " + text[0]);
      return true;
    }
    if (sends({"CONFIG", "SET"}) && sent.size() % 2 == 1 &&
        (sent.back() == "REQUIREPASS" || sent.back() == "MASTERAUTH")) {
      if (std::optional<Word> value = words->TakeValue(); value && IsTypedPassword(value->text))
        Found(*value, 0, command->name + " CONFIG SET " + text + " ");
      sent.push_back("");
      return true;
    }
    if (sends({"SENTINEL", "SET"}) && sent.size() % 2 == 0 && sent.back() == "AUTH_PASS") {
      if (std::optional<Word> value = words->TakeValue(); value && IsTypedPassword(value->text))
        Found(*value, 0, command->name + " SENTINEL SET … auth-pass ");
      sent.push_back("");
      return true;
    }
    return false;
  }

  // npm config set KEY VALUE (npm set, pnpm's and yarn's config set too)
  // where KEY is an auth setting (IsNpmAuthKey). Other settings are left
  // alone: their names do not say secret (//host/:username, auth-type).
  bool ReadConfigSet(const Word& word, WordStream* words, Command* command) {
    if (!command->setting) {
      command->setting = word.text == "set";
      return false;
    }
    if (!IsNpmAuthKey(word.text)) return false;
    // Named by the key alone, as NAME=VALUE is: a registry's name is long.
    if (std::optional<Word> value = words->TakeValue(); value && IsTypedPassword(value->text))
      Found(*value, 0, word.text + " ");
    return true;
  }

  // An option whose name says it holds a token, a secret or an API key,
  // and the word after it: --token VALUE, --api-key VALUE, --client-secret
  // VALUE. The name is only a hint, as in NAME=VALUE (--token=VALUE, which
  // ReadAssignment reads), so the value must look real (ValueLooksReal)
  // and not be an option. Names that are switches or name something else
  // are not read so: --with-token (its value comes on the input),
  // --no-token, --token-ttl, --key-file, --ssh-key and --key (paths), and
  // docker build's --secret id=…,src=….
  bool ReadSecretOption(const Word& word, WordStream* words, const Command& command) {
    const std::string& text = word.text;
    if (!text.starts_with("--") || text.find('=') != std::string::npos) return false;
    std::string name = UpperName(std::string_view(text).substr(2));
    if (!NameSaysSecret(name) || name == "SECRET") return false;
    for (std::string_view switch_prefix : {"NO_", "WITH_", "USE_", "ASK_", "SKIP_"})
      if (name.starts_with(switch_prefix)) return false;
    bool holds = false;
    for (std::string_view ending :
         {"TOKEN", "SECRET", "API_KEY", "APIKEY", "ACCESS_KEY", "SECRET_KEY"})
      holds = holds || name.ends_with(ending);
    const Word* value = words->Peek();
    if (!holds || value == nullptr || value->kind != Word::kText || value->text.starts_with('-') ||
        !ValueLooksReal(value->text))
      return false;
    Found(words->Take(), 0, command.name + " " + text + " ");
    return true;
  }

  // An HTTP header that carries a credential, as curl -H, wget --header=,
  // git's http.extraHeader= and httpie take it: "Authorization: Bearer
  // VALUE" (Basic, token, or no scheme), Proxy-Authorization, and headers
  // whose names say secret (X-Api-Key, X-Auth-Token, Private-Token). The
  // header is the word, or follows -H or the first '=' in it. An
  // Authorization header's place says its value is a credential; another
  // header's name is only a hint, so its value must look real.
  bool ReadHeader(const Word& word, const Command& command) {
    const std::string& text = word.text;
    size_t equals = text.find('=');
    for (size_t begin : {size_t{0}, text.starts_with("-H") ? size_t{2} : std::string::npos,
                         equals == std::string::npos ? std::string::npos : equals + 1}) {
      if (begin >= text.size()) continue;
      size_t colon = text.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", begin);
      if (colon == begin || colon == std::string::npos || text[colon] != ':') continue;
      std::string name = UpperName(std::string_view(text).substr(begin, colon - begin));
      bool authorization = name == "AUTHORIZATION" || name == "PROXY_AUTHORIZATION";
      if (!authorization && (name.find('_') == std::string::npos || !NameSaysSecret(name)))
        continue;
      auto [value_begin, value_end] = HeaderCredential(text, colon + 1, authorization);
      std::string_view value = std::string_view(text).substr(value_begin, value_end - value_begin);
      if (authorization ? IsTypedPassword(value) : ValueLooksReal(value))
        FoundRange(word, value_begin, value_end, command.name + " " + text.substr(0, value_begin));
      return true;
    }
    return false;
  }

  // Where the credential of a header whose value begins at |at| in |text|
  // is: the word after an Authorization header's scheme ("Bearer VALUE"),
  // or its one word when it has no scheme; another header's first word.
  static std::pair<size_t, size_t> HeaderCredential(std::string_view text, size_t at,
                                                    bool authorization) {
    auto word_at = [&text](size_t from) {
      size_t begin = std::min(text.find_first_not_of(" \t", from), text.size());
      return std::make_pair(begin, std::min(text.find_first_of(" \t\r\n", begin), text.size()));
    };
    std::pair<size_t, size_t> first = word_at(at);
    if (!authorization) return first;
    std::pair<size_t, size_t> second = word_at(first.second);
    if (second.first < second.second) return second;
    return IsAuthScheme(text.substr(first.first, first.second - first.first))
               ? std::make_pair(first.second, first.second)
               : first;
  }

  // //registry.npmjs.org/:_authToken=VALUE (and _auth, _password) in any
  // word: npm config set KEY=VALUE, npm --KEY=VALUE, or a line echo
  // writes to an .npmrc. The value ends at a space, a quote or a
  // backslash ("\n" between lines printf writes).
  void ReadNpmAuthAssignment(const Word& word) {
    std::string_view text = word.text;
    for (std::string_view key : {":_authToken=", ":_auth=", ":_password="}) {
      for (size_t at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
        size_t begin = at + key.size();
        size_t end = std::min(text.find_first_of(" \t\r\n\\\"'", begin), text.size());
        size_t key_begin = text.find_last_of(" \t\r\n\"'", at);
        key_begin = key_begin == std::string_view::npos ? 0 : key_begin + 1;
        if (text.substr(key_begin).starts_with("--")) key_begin += 2;
        if (IsTypedPassword(text.substr(begin, end - begin)))
          FoundRange(word, begin, end, std::string(text.substr(key_begin, begin - key_begin)));
      }
    }
  }

  // mysql -pVALUE; mysqladmin password NEW.
  bool ReadJoinedToP(const Word& word, WordStream* words, const Command& command) {
    if (word.text.size() > 2 && word.text.starts_with("-p")) {
      if (IsTypedPassword(std::string_view(word.text).substr(2)))
        Found(word, 2, command.name + " -p");
      return true;
    }
    if (word.text != "password" || command.name.find("admin") == std::string::npos) return false;
    if (std::optional<Word> value = words->TakeValue(); value && IsTypedPassword(value->text))
      Found(*value, 0, command.name + " password ");
    return true;
  }

  // sshpass -p VALUE, -pVALUE.
  bool ReadAfterP(const Word& word, WordStream* words, const Command& command) {
    if (word.text == "-p") {
      if (std::optional<Word> value = words->TakeValue(); value && IsTypedPassword(value->text))
        Found(*value, 0, command.name + " -p ");
      return true;
    }
    if (!word.text.starts_with("-p")) return false;
    if (IsTypedPassword(std::string_view(word.text).substr(2)))
      Found(word, 2, command.name + " -p");
    return true;
  }

  // curl -u USER:PASSWORD, -uUSER:PASSWORD, --user[=]USER:PASSWORD, -fsSu
  // USER:PASSWORD (switches, then -u), and -U/--proxy-user the same for a
  // proxy: the part after the first ':' (a user name cannot hold one).
  // Without a ':' curl asks for the password.
  bool ReadUserColon(const Word& word, WordStream* words, const Command& command) {
    const std::string& text = word.text;
    bool switches = text.size() > 2 && text[0] == '-' &&
                    std::all_of(text.begin() + 1, text.end(),
                                [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
    for (std::string_view option : {"-u", "-U", "--user", "--proxy-user"}) {
      std::optional<Word> value;
      size_t begin = 0;
      std::string shown(option);
      if (text == option || (switches && option.size() == 2 && text.back() == option[1])) {
        shown = text + ' ';
        value = words->TakeValue();
      } else if (option.size() == 2 && text.starts_with(option)) {
        value = word;
        begin = 2;
      } else if (text.starts_with(std::string(option) + "=")) {
        value = word;
        begin = option.size() + 1;
        shown += '=';
      } else {
        continue;
      }
      size_t colon = value ? value->text.find(':', begin) : std::string::npos;
      if (colon != std::string::npos &&
          IsTypedPassword(std::string_view(value->text).substr(colon + 1)))
        Found(*value, colon + 1,
              command.name + " " + shown + value->text.substr(begin, colon + 1 - begin));
      return true;
    }
    return false;
  }

  // An option named for a password holds one, whatever the command:
  // --password=VALUE, --db-password=VALUE, --passwd VALUE. The value is
  // the next word only after --password and --passwd themselves, since
  // --no-password and --ask-password are switches with other words after
  // them. mysql reads "--password VALUE" as a prompt and a database named
  // VALUE; it is hidden all the same: showing a password costs more than
  // hiding a database's name.
  bool ReadPasswordOption(const Word& word, WordStream* words, const Command& command) {
    const std::string& text = word.text;
    if (!text.starts_with("--")) return false;
    size_t equals = text.find('=');
    std::string name = UpperName(std::string_view(text).substr(2, equals - 2));
    if (equals != std::string::npos) {
      if (!name.ends_with("PASSWORD") && !name.ends_with("PASSWD")) return false;
      if (IsTypedPassword(std::string_view(text).substr(equals + 1)))
        Found(word, equals + 1, command.name + " " + text.substr(0, equals + 1));
      return true;
    }
    if (name != "PASSWORD" && name != "PASSWD") return false;
    if (std::optional<Word> value = words->TakeValue(true); value && IsTypedPassword(value->text))
      Found(*value, 0, command.name + " " + text + " ");
    return true;
  }

  // NAME=VALUE: a shell assignment (export DB_PASSWORD=…, DB_PASSWORD=…
  // cmd), an argument (--build-arg DB_PASSWORD=…, -e DB_PASSWORD=…, --set
  // db.password=…) or an option holding one (--build-arg=DB_PASSWORD=…,
  // -Ddb.password=…). Here the name is only a hint, as in ENV, so the
  // value must look real (ValueLooksReal): DB_PASSWORD_FILE=/run/secrets/db
  // names a file, AUTH_TYPE=basic is no secret, DB_PASSWORD=$DB_PASSWORD
  // is a reference.
  void ReadAssignment(const Word& word) {
    std::string_view text = word.text;
    size_t begin = text.find_first_not_of('-');
    bool option = begin > 0;
    while (begin != std::string_view::npos) {
      size_t equals = text.find('=', begin);
      if (equals == std::string_view::npos) return;
      std::string_view name = text.substr(begin, equals - begin);
      if (!IsName(name)) return;
      if (NameSaysSecret(name)) {
        if (ValueLooksReal(text.substr(equals + 1)))
          Found(word, equals + 1, std::string(text.substr(0, equals + 1)), std::string(name));
        return;
      }
      // Only an option's value is read as an assignment in turn:
      // --build-arg=NAME=VALUE, but not NAME=A_TOKEN=….
      if (!option) return;
      option = false;
      begin = equals + 1;
    }
  }

  std::vector<StepSecret>* found_;
  // The words echo or printf writes, and those a pipe hands to the next
  // command as its input.
  std::vector<Word> echoed_;
  std::vector<Word> stdin_;
};

// Where the JSON array of an exec-form instruction begins in |command|
// (CMD ["mysqld"], ENTRYPOINT [...], or a RUN's array after CommandBegin
// took "RUN "), or npos for a shell command line ("[ -f x ]" is one).
size_t ExecFormBegin(std::string_view command) {
  if (command.starts_with("[\"")) return 0;
  for (std::string_view instruction : {"CMD ", "ENTRYPOINT ", "RUN ", "SHELL "}) {
    if (!command.starts_with(instruction)) continue;
    size_t bracket = command.find_first_not_of(' ', instruction.size());
    return bracket != std::string_view::npos && command[bracket] == '[' ? bracket
                                                                        : std::string_view::npos;
  }
  return std::string_view::npos;
}

// True when |command| (after CommandBegin) is an ENV, ARG or LABEL
// instruction, as both builders record them ("ENV A=x;y"): its values
// are never a shell's to split.
bool IsAssignmentInstruction(std::string_view command) {
  for (std::string_view instruction : {"ENV ", "ARG ", "LABEL "})
    if (command.starts_with(instruction)) return true;
  return false;
}

// |found| in order, without overlaps. A quoted command line is read twice,
// as a word and as a command line: of secrets that overlap, the first and
// longest stays.
std::vector<StepSecret> InOrder(std::vector<StepSecret> found) {
  std::sort(found.begin(), found.end(), [](const StepSecret& a, const StepSecret& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  std::vector<StepSecret> kept;
  for (StepSecret& secret : found)
    if (kept.empty() || secret.begin >= kept.back().end) kept.push_back(std::move(secret));
  return kept;
}

}  // namespace

std::vector<StepSecret> FindStepSecrets(std::string_view created_by) {
  std::vector<StepSecret> found;
  CommandLineReader reader(&found);
  size_t begin = CommandBegin(created_by);
  std::string_view command = created_by.substr(begin);
  size_t array = ExecFormBegin(command);
  if (array != std::string_view::npos)
    reader.Read(WordStream(command.substr(array), nullptr, begin + array, Syntax::kExecForm), 0);
  else if (IsAssignmentInstruction(command))
    reader.Read(WordStream(command, nullptr, begin, Syntax::kInstruction), 0);
  else
    reader.Read(WordStream(command, nullptr, begin), 0);
  return InOrder(std::move(found));
}

namespace {

// The passwords typed into |argv| read as one command's words, each with
// its argument's index and its bytes in that argument.
std::vector<ArgvSecret> ReadArgv(const std::vector<std::string>& argv) {
  // Each argument a word, at its place in the arguments joined by one
  // byte: a secret's place tells its argument.
  std::vector<Word> words;
  std::vector<size_t> starts;
  size_t at = 0;
  for (const std::string& argument : argv) {
    Word word;
    word.text = argument;
    for (size_t i = 0; i < argument.size(); ++i) word.at.push_back(at + i);
    word.quoted = argument.find_first_of(" \t\n") != std::string::npos;
    words.push_back(std::move(word));
    starts.push_back(at);
    at += argument.size() + 1;
  }
  std::vector<StepSecret> found;
  CommandLineReader reader(&found);
  reader.Read(WordStream(std::move(words)), 0);

  std::vector<ArgvSecret> secrets;
  for (StepSecret& secret : InOrder(std::move(found))) {
    size_t index =
        std::upper_bound(starts.begin(), starts.end(), secret.begin) - starts.begin() - 1;
    secret.begin -= starts[index];
    secret.end -= starts[index];
    secrets.push_back({false, index, std::move(secret)});
  }
  return secrets;
}

}  // namespace

std::vector<ArgvSecret> FindArgvSecrets(const std::vector<std::string>& entrypoint,
                                        const std::vector<std::string>& cmd) {
  std::vector<ArgvSecret> alone = ReadArgv(entrypoint);
  for (ArgvSecret& secret : ReadArgv(cmd)) {
    secret.in_cmd = true;
    alone.push_back(std::move(secret));
  }
  if (entrypoint.empty() || cmd.empty()) return alone;
  std::vector<std::string> program = entrypoint;
  program.insert(program.end(), cmd.begin(), cmd.end());
  std::vector<ArgvSecret> together = ReadArgv(program);
  for (ArgvSecret& secret : together) {
    secret.in_cmd = secret.argument >= entrypoint.size();
    if (secret.in_cmd) secret.argument -= entrypoint.size();
  }

  // Found both ways, a password is named by the reading that fits the
  // CMD: one that starts with an option is ENTRYPOINT's arguments (["app"]
  // with ["--password", "…"]: "app --password "); another names a command
  // of its own, which a wrapper runs (["docker-entrypoint.sh"] with ["app",
  // "--password", "…"]: "app --password ", not "docker-entrypoint.sh …").
  bool arguments = cmd.front().starts_with('-');
  std::vector<ArgvSecret> found = std::move(arguments ? together : alone);
  for (ArgvSecret& secret : arguments ? alone : together) found.push_back(std::move(secret));

  // Of two that overlap, the first and longest stays.
  std::stable_sort(found.begin(), found.end(), [](const ArgvSecret& a, const ArgvSecret& b) {
    if (a.in_cmd != b.in_cmd) return !a.in_cmd;
    if (a.argument != b.argument) return a.argument < b.argument;
    if (a.secret.begin != b.secret.begin) return a.secret.begin < b.secret.begin;
    return a.secret.end > b.secret.end;
  });
  std::vector<ArgvSecret> kept;
  for (ArgvSecret& secret : found) {
    if (!kept.empty() && kept.back().in_cmd == secret.in_cmd &&
        kept.back().argument == secret.argument && secret.secret.begin < kept.back().secret.end)
      continue;
    kept.push_back(std::move(secret));
  }
  return kept;
}

std::vector<std::string> RedactArgvSecrets(std::vector<std::string> argv,
                                           const std::vector<ArgvSecret>& secrets, bool cmd) {
  std::vector<std::vector<StepSecret>> by_argument(argv.size());
  for (const ArgvSecret& secret : secrets)
    if (secret.in_cmd == cmd && secret.argument < argv.size())
      by_argument[secret.argument].push_back(secret.secret);
  for (size_t i = 0; i < argv.size(); ++i)
    if (!by_argument[i].empty()) argv[i] = RedactStepSecrets(argv[i], std::move(by_argument[i]));
  return argv;
}

std::vector<std::string> RedactArgvSecrets(std::vector<std::string> argv) {
  std::vector<ArgvSecret> secrets = ReadArgv(argv);
  return RedactArgvSecrets(std::move(argv), secrets, false);
}

std::string RedactStepSecrets(std::string_view created_by, std::vector<StepSecret> secrets) {
  std::sort(secrets.begin(), secrets.end(),
            [](const StepSecret& a, const StepSecret& b) { return a.begin < b.begin; });
  std::string text;
  size_t copied = 0;
  for (const StepSecret& secret : secrets) {
    if (secret.begin < copied || secret.begin >= secret.end || secret.end > created_by.size())
      continue;
    text += created_by.substr(copied, secret.begin - copied);
    text += Redact(created_by.substr(secret.begin, secret.end - secret.begin));
    copied = secret.end;
  }
  text += created_by.substr(copied);
  return text;
}

}  // namespace strata
