// The content patterns of the secret rules, and the judgement applied to
// each match: entropy, placeholders, known example values, redaction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strata {

struct SecretPattern {
  const char* rule_id;
  // One expression in the syntax vectorscan and std::regex (ECMAScript)
  // both accept; the secret is the first capture group that matched, or
  // the whole match when the expression has no group (a match in which
  // none of its groups matched holds no secret).
  const char* regex;
  bool caseless;
  double min_entropy;       // Shannon bits per character the secret needs; 0: any.
  const char* path_filter;  // Glob(s) the file must match; null: any file.
  // The expression std::regex confirms a match with, in the match's line,
  // when it differs from |regex|; null: |regex|. For secrets a line holds
  // several of (redis's ACL rules, each ">password" a token): |regex|
  // finds the line, from its start, and this finds each secret in it,
  // which an expression anchored at the line's start finds only once.
  const char* confirm = nullptr;
};

// The built-in patterns. Path-filtered ones come first: where a line hits a
// specific and a generic pattern, the first one in this list is reported.
const std::vector<SecretPattern>& BuiltinSecretPatterns();

// Shannon entropy of |text|, in bits per character.
double ShannonEntropy(std::string_view text);

// True for values that are placeholders, references or documented
// examples rather than secrets: "${TOKEN}", "changeme", "<password>",
// AWS's AKIAIOSFODNN7EXAMPLE, and the like, and values strata already
// redacted ("s3…(12 characters)").
bool LooksLikePlaceholder(std::string_view value);

// True for values that are code rather than data: "Win32::GetCwd",
// "$self->{pass}", "os.getenv".
bool LooksLikeCode(std::string_view value);

// Files of the operating system and its packages (usr/, lib/, bin/, …):
// the generic assignment rule skips them, since their code is full of
// "password = …" that are not secrets.
bool IsSystemPath(std::string_view path);

// True for names of variables, labels, build arguments and options that
// say their value is a secret (DB_PASSWORD, deploy.key, api-key,
// MYSQL_PWD, and any name with a part PASS, PWD, PW or PASSPHRASE, parts
// split at '_', '-', '.' and case changes: SMTP_PASS, dbPass; but not
// BYPASS, COMPASS or PASS_THROUGH), but not for the well-known ones that hold public values:
// GPG key fingerprints of official images, checksums, paths to a secret
// (the *_FILE convention), versions, hosts and user names.
bool NameSaysSecret(std::string_view name);

// True when |value|, under a name that says secret, looks like a real
// secret: 6 characters or more, not a placeholder or reference
// (LooksLikePlaceholder), not a boolean or a number. The name is only a
// hint (AUTH_MODE=basic), so the value has to confirm it.
bool ValueLooksReal(std::string_view value);

// "ghp_…(40 characters)": a few leading characters and the length; never
// the secret.
std::string Redact(std::string_view secret);

// Paths whose contents are examples, tests, documentation or system files
// rather than the application's own configuration: content rules skip them.
bool IsAllowListedContentPath(std::string_view path);

}  // namespace strata
