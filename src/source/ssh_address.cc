#include "source/ssh_address.h"

#include <fmt/core.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "base/error.h"
#include "source/http_client.h"

namespace strata {

namespace {

// |authority| ("HOST", "HOST:PORT", "[V6]" or "[V6]:PORT") split: the
// host in |*host|, and the port returned (empty when only ':' is there),
// std::nullopt without one.
std::optional<std::string> SplitSshHost(const std::string& authority, const std::string& shown,
                                        std::string* host) {
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string::npos) Fail("{}: the '[' of an IPv6 address is not closed", shown);
    *host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (after.empty()) return std::nullopt;
    if (!after.starts_with(':'))
      Fail("{}: \"{}\" after the IPv6 address is not a port", shown, after);
    return after.substr(1);
  }
  size_t colon = authority.find(':');
  if (colon != std::string::npos && authority.find(':', colon + 1) != std::string::npos)
    Fail("{}: an IPv6 address goes in brackets (ssh://[::1]:22)", shown);
  *host = authority.substr(0, colon);
  if (colon == std::string::npos) return std::nullopt;
  return authority.substr(colon + 1);
}

// A user or host name that ssh reads as one and the shell as one word:
// no leading '-' (ssh would take it for an option), no blank, control
// character, quote or character of a URL's other parts.
bool IsSshName(std::string_view name) {
  return !name.starts_with('-') && std::none_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == 0x7f ||
           std::string_view("?#@[]/\\'\"`$;&|<>()*").find(c) != std::string_view::npos;
  });
}

// |text| with its control characters as "\xNN", for a line that quotes it.
std::string ControlsEscaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    out += byte < 0x20 || byte == 0x7f ? fmt::format("\\x{:02x}", byte) : std::string(1, c);
  }
  return out;
}

// |user| as an ssh:// address spells it, percent-decoded as docker
// decodes it (ssh://us%65r@host logs in as "user"), and checked again:
// decoded, it must still be a name IsSshName takes.
std::string DecodedUser(const std::string& user, const std::string& shown) {
  std::optional<std::string> decoded = UrlDecode(user);
  if (!decoded)
    Fail("{}: the user name \"{}\" holds a '%' not followed by two hexadecimal digits", shown,
         user);
  if (!IsSshName(*decoded))
    Fail("{}: \"{}\" (decoded \"{}\") is not a user name ssh can take here", shown, user,
         ControlsEscaped(*decoded));
  return *decoded;
}

// The ASCII bytes Go's net/url lets a host hold as written: letters,
// digits, RFC 3986's unreserved marks and sub-delims, and the ':', '[',
// ']', '<', '>' and '"' it adds. Bytes from 0x80 up it lets through as
// written.
bool HostMayHold(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-._~!$&'()*+,;=:[]<>\"").find(static_cast<char>(c)) !=
             std::string_view::npos;
}

// |part| of |host| decoded as Go's net/url decodes a host or, when |zone|,
// an IPv6 zone. In a host, "%XX" may encode only '%' (%25) and bytes from
// 0x80 up: RFC 3986 has ASCII written as it is there. In a zone (RFC 6874
// takes any escape), Go restricts it to '%', a blank and what a host may
// hold as written. Either way, an ASCII byte written as it is must be one
// a host may hold.
std::string DecodedHostPart(std::string_view part, bool zone, const std::string& host,
                            const std::string& shown) {
  std::string out;
  for (size_t i = 0; i < part.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(part[i]);
    if (c != '%') {
      if (c < 0x80 && !HostMayHold(c))
        Fail("{}: the host \"{}\" holds '{}', which docker refuses in a host name", shown, host,
             static_cast<char>(c));
      out += static_cast<char>(c);
      continue;
    }
    std::string_view escape = part.substr(i, 3);
    std::optional<std::string> byte = UrlDecode(escape);
    if (!byte)
      Fail("{}: the host \"{}\" holds a '%' not followed by two hexadecimal digits", shown, host);
    unsigned char value = static_cast<unsigned char>((*byte)[0]);
    bool percent = escape == "%25";
    if (!zone && value < 0x80 && !percent)
      Fail(
          "{}: the host \"{}\" holds \"{}\", which docker refuses: a host name may "
          "percent-encode only '%' (%25) and bytes from %80 up",
          shown, host, escape);
    if (zone && !percent && value != ' ' && !HostMayHold(value))
      Fail(
          "{}: the host \"{}\" holds \"{}\" in its IPv6 zone, which docker refuses: a zone "
          "may percent-encode only '%' (%25), a blank and what a host name holds as written",
          shown, host, escape);
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

// |host| as the address spells it (without brackets) decoded as docker
// decodes it; |bracketed| when in brackets, where the first "%25" starts
// an IPv6 zone ("fe80::1%25eth0" is "fe80::1%eth0"). Decoded, it must
// still be a name IsSshName takes.
std::string DecodedHost(const std::string& host, bool bracketed, const std::string& shown) {
  size_t zone = bracketed ? host.find("%25") : std::string::npos;
  std::string_view spelled = host;
  std::string decoded = DecodedHostPart(spelled.substr(0, zone), false, host, shown);
  if (zone != std::string::npos)
    decoded += DecodedHostPart(spelled.substr(zone), true, host, shown);
  if (!IsSshName(decoded))
    Fail("{}: \"{}\" (decoded \"{}\") is not a host name or address", shown, host,
         ControlsEscaped(decoded));
  return decoded;
}

}  // namespace

SshAddress ParseSshAddress(const std::string& address, const std::string& shown,
                           const std::string& where) {
  std::string rest = address.substr(6);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  SshAddress parts;
  if (size_t at = authority.rfind('@'); at != std::string::npos) {
    parts.user = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (parts.user.find(':') != std::string::npos)
      Fail(
          "{} holds a password (ssh://USER:PASSWORD@HOST), which ssh does not take: give "
          "ssh://USER@HOST and a key ssh can use without asking (ssh-agent, or IdentityFile in "
          "~/.ssh/config)",
          where);
    if (parts.user.empty()) Fail("{}: no user name before the '@'", shown);
    // The hint of a failed connection quotes USER@HOST as a command line
    // to try: a name that ssh would read as an option, or that the shell
    // would split, must not get that far.
    if (!IsSshName(parts.user))
      Fail("{}: \"{}\" is not a user name ssh can take here", shown, parts.user);
    parts.user = DecodedUser(parts.user, shown);
  }
  if (slash != std::string::npos && rest.substr(slash) != "/")
    Fail("{}: an ssh:// address names a host, not the path \"{}\": give ssh://[USER@]HOST[:PORT]",
         shown, rest.substr(slash));

  bool bracketed = authority.starts_with('[');
  std::optional<std::string> port = SplitSshHost(authority, shown, &parts.host);
  if (parts.host.empty()) Fail("{}: no host after ssh://", shown);
  if (!IsSshName(parts.host)) Fail("{}: \"{}\" is not a host name or address", shown, parts.host);
  parts.host = DecodedHost(parts.host, bracketed, shown);
  if (port && !IsTcpPort(*port))
    Fail("{}: the port \"{}\" is not a number from 1 to 65535", shown, *port);
  parts.port = port.value_or("");
  return parts;
}

}  // namespace strata
