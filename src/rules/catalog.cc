#include "rules/catalog.h"

namespace strata {

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "?";
}

bool ParseSeverity(std::string_view name, Severity* severity) {
  for (Severity s :
       {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    if (name == SeverityName(s)) {
      *severity = s;
      return true;
    }
  }
  return false;
}

std::string ShownPath(const Finding& finding) {
  if (!finding.stored_name.empty()) return finding.stored_name;
  return finding.has_path ? "/" + finding.path : "";
}

const char* RouteName(Route route) {
  switch (route) {
    case Route::kBase:
      return "base";
    case Route::kCopy:
      return "copy";
    case Route::kRun:
      return "run";
    case Route::kConfig:
      return "config";
    case Route::kUnknown:
      break;
  }
  return "unknown";
}

const std::vector<Rule>& BuiltinRules() {
  using S = Severity;
  static const std::vector<Rule> rules = {
      // Secrets by path.
      {"secret-env-file", "secret", S::kHigh, "Environment file with secrets",
       "A .env file (not .env.example and the like): it usually holds credentials."},
      {"secret-private-key-file", "secret", S::kHigh, "Private key file",
       "id_rsa, id_dsa, id_ecdsa, id_ed25519 or a *.key file."},
      {"secret-cloud-credentials", "secret", S::kCritical, "Cloud credentials file",
       "AWS credentials, gcloud credentials, Azure tokens, or a kubeconfig with a token or key."},
      {"secret-registry-credentials", "secret", S::kHigh, "Registry or package credentials",
       "A docker config.json with auths, an .npmrc, .pypirc or .netrc with a password or token, "
       ".git-credentials, or similar."},
      {"secret-config-password", "secret", S::kHigh, "Configuration file with a password",
       "Framework configuration (application-*.yml, database.yml, ...) with a literal password, "
       "a .pgpass file, or a redis password (requirepass, masterauth, sentinel auth-pass, an "
       "ACL rule's >password)."},
      // Secrets by content.
      {"secret-private-key", "secret", S::kCritical, "Private key in a file",
       "A PEM or OpenSSH private key block."},
      {"secret-aws-access-key", "secret", S::kCritical, "AWS access key or secret key",
       "An AWS access key id (AKIA…, ASIA…) or secret access key."},
      {"secret-github-token", "secret", S::kCritical, "GitHub token",
       "A GitHub personal, OAuth, app or fine-grained token."},
      {"secret-gitlab-token", "secret", S::kCritical, "GitLab token",
       "A GitLab personal access token."},
      {"secret-npm-token", "secret", S::kHigh, "npm token", "An npm access token."},
      {"secret-slack-token", "secret", S::kHigh, "Slack token or webhook",
       "A Slack bot, user or app token, or an incoming webhook URL."},
      {"secret-stripe-key", "secret", S::kCritical, "Stripe secret key",
       "A live Stripe secret or restricted key."},
      {"secret-pypi-token", "secret", S::kHigh, "PyPI token", "A PyPI upload token."},
      {"secret-google-api-key", "secret", S::kHigh, "Google API key", "A Google API key (AIza…)."},
      {"secret-jwt", "secret", S::kMedium, "JSON Web Token", "A signed JWT (eyJ….eyJ….…)."},
      {"secret-url-password", "secret", S::kHigh, "Password in a URL",
       "A URL with credentials in it (scheme://user:password@host), in a file or a build step."},
      {"secret-generic-assignment", "secret", S::kHigh, "Password or secret assignment",
       "password=, secret=, token= and similar with a value random enough to be real."},
      // Secrets in the config.
      {"secret-in-env", "secret", S::kHigh, "Secret in an ENV variable",
       "An ENV whose name says secret and whose value looks real, or a value that is a known "
       "token."},
      {"secret-in-label", "secret", S::kHigh, "Secret in a LABEL", "A LABEL holding a credential."},
      {"secret-in-build-arg", "secret", S::kHigh, "Secret in a build argument",
       "A build argument recorded in the history (ARG values are stored in every image)."},
      {"secret-in-build-step", "secret", S::kHigh, "Secret in a build step",
       "A password typed into a RUN step's command line, CMD or ENTRYPOINT (NAME=value whose "
       "name says secret, mysql -p…, --password …, curl -u user:…, an Authorization header, "
       "redis-cli -a …): the history and the config store every command."},
      // Everything else.
      {"vcs-directory", "vcs", S::kMedium, "Version control directory",
       "A .git, .svn or .hg directory: the project's history, often with secrets in it."},
      {"package-cache", "cache", S::kLow, "Package manager cache",
       "apt lists and archives, apk, dnf/yum, pip, npm, yarn, pnpm, Maven, Gradle, Go, Composer or "
       "Cargo caches."},
      {"build-tool", "build-tool", S::kLow, "Build or network tool in the final image",
       "Compilers, make, git, curl, wget and the like: useful to an attacker, not to the app."},
      {"build-leftover", "leftover", S::kLow, "Build leftover",
       "Object files, core dumps, files left in /tmp, test folders and source trees in an "
       "application tree."},
      {"setuid-file", "permission", S::kMedium, "setuid or setgid file",
       "A file that runs with its owner's or group's rights."},
      {"world-writable", "permission", S::kMedium, "World-writable path",
       "A file, or a directory without the sticky bit, that any user may change."},
      {"file-capabilities", "permission", S::kMedium, "File with capabilities",
       "A file with security.capability set: it gains privileges when run."},
      {"runs-as-root", "config", S::kMedium, "Runs as root", "No USER, or USER root or 0."},
      {"no-healthcheck", "config", S::kLow, "No HEALTHCHECK",
       "The image declares no health check."},
      {"hostile-path", "hostile", S::kHigh, "Path that leaves the image root",
       "A layer entry or whiteout stored as an absolute path or with \"..\" climbing above the "
       "root, or a hard link to such a path: crafted to write outside an unpacking directory."},
      {"duplicate-path", "hostile", S::kMedium, "Path stored twice in one layer",
       "A layer holds the same path more than once: unpackers keep the last copy, while tools "
       "that read the first see something else, which can hide content from a review."},
      {"hardlink-outside-layer", "hostile", S::kMedium, "Hard link to a path the layer lacks",
       "A hard link whose target is not stored earlier in the same layer: a tar made by a "
       "standard tool never holds one, and unpackers resolve it against whatever is already on "
       "disk."},
      {"empty-symlink-target", "hostile", S::kMedium, "Symbolic link with an empty target",
       "A symbolic link whose target is empty: the kernel refuses to make one, so unpackers "
       "that write the layer to disk (umoci) fail on it, and the image cannot be unpacked."},
      {"path-through-symlink", "hostile", S::kHigh, "Path stored beneath a symbolic link",
       "An entry stored beneath a path that a lower entry made a symbolic link: a tar made "
       "from a directory never holds one, and unpackers that follow the link write the entry "
       "wherever it points, outside the image root if it points there. A whiteout or opaque "
       "marker beneath such a link makes them delete there."},
      {"odd-whiteout", "hostile", S::kMedium, "Whiteout name read unlike it looks",
       "A whiteout name where unpackers, which read whiteouts from a name's last component "
       "only, do something a reader does not expect: a directory named .wh.NAME with entries "
       "stored beneath it (they are written), a bare .wh. (it removes its own directory; at "
       "the root, everything), or an opaque marker at the root (it hides every lower layer)."},
      {"cleanup-in-later-layer", "waste", S::kLow, "Cleanup in a separate layer",
       "A layer removes or overwrites what an earlier one added; the bytes stay in the image."},
  };
  return rules;
}

const Rule* FindRule(std::string_view id) {
  for (const Rule& rule : BuiltinRules())
    if (id == rule.id) return &rule;
  return nullptr;
}

}  // namespace strata
