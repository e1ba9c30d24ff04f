// Passwords typed into history steps: each form found and hidden, and the
// ordinary steps that look a little like them left as they are.
#include "rules/step_secrets.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace strata {
namespace {

// |step| as reports show it once its typed passwords are hidden.
std::string Shown(const std::string& step) {
  return RedactStepSecrets(step, FindStepSecrets(step));
}

TEST(StepSecrets, EachFormIsHidden) {
  std::vector<std::pair<std::string, std::string>> cases = {
      // The three steps a new user found shown in full.
      {"/bin/sh -c export PASSWORD=hunter2hunter2hunter2 && ./setup.sh",
       "/bin/sh -c export PASSWORD=hunt…(21 characters) && ./setup.sh"},
      {"/bin/sh -c mysql -uroot -pK8jHq2LmNx7Vb4Zt -e \"CREATE DATABASE app\"",
       "/bin/sh -c mysql -uroot -pK8j…(16 characters) -e \"CREATE DATABASE app\""},
      {"RUN /bin/sh -c curl -fsSL -u admin:Pw7Kd9Lq2Xz5Mv8N https://repo.example/x # buildkit",
       "RUN /bin/sh -c curl -fsSL -u admin:Pw7…(16 characters) https://repo.example/x # buildkit"},
      // Assignments: before a command, exported, quoted, as an argument
      // or inside an option; the legacy builder's ENV.
      {"/bin/sh -c DB_PASSWORD='hunter2 hunter2' ./migrate",
       "/bin/sh -c DB_PASSWORD='hun…(15 characters)' ./migrate"},
      {"/bin/sh -c docker build --build-arg NPM_TOKEN=Zk3qP9vR2mX7tL4w .",
       "/bin/sh -c docker build --build-arg NPM_TOKEN=Zk3…(16 characters) ."},
      {"/bin/sh -c docker build --build-arg=NPM_TOKEN=Zk3qP9vR2mX7tL4w .",
       "/bin/sh -c docker build --build-arg=NPM_TOKEN=Zk3…(16 characters) ."},
      {"/bin/sh -c mvn -Ddb.password=Zk3qP9vR2mX7tL4w package",
       "/bin/sh -c mvn -Ddb.password=Zk3…(16 characters) package"},
      {"/bin/sh -c sudo -u postgres env PGPASSWORD=hunter2hunter2 psql -c 'select 1'",
       "/bin/sh -c sudo -u postgres env PGPASSWORD=hu…(14 characters) psql -c 'select 1'"},
      {"/bin/sh -c MYSQL_PWD=K8jHq2LmNx7Vb4Zt mysql -uroot < /init.sql",
       "/bin/sh -c MYSQL_PWD=K8j…(16 characters) mysql -uroot < /init.sql"},
      {"/bin/sh -c #(nop)  ENV DB_PASSWORD=hunter2hunter2",
       "/bin/sh -c #(nop)  ENV DB_PASSWORD=hu…(14 characters)"},
      // mysql and its kin: -pVALUE, --password[=]VALUE, mysqladmin password.
      {"/bin/sh -c mysqladmin -u root password 'N3wR00tPw'",
       "/bin/sh -c mysqladmin -u root password 'N…(9 characters)'"},
      {"/bin/sh -c mariadb --user=root --password=root -e 'select 1'",
       "/bin/sh -c mariadb --user=root --password=…(4 characters) -e 'select 1'"},
      {"/bin/sh -c mongosh --password K8jHq2LmNx7Vb4Zt --eval 1",
       "/bin/sh -c mongosh --password K8j…(16 characters) --eval 1"},
      {"/bin/sh -c wget --http-password=Pw7Kd9Lq2Xz5Mv8N https://repo.example/x",
       "/bin/sh -c wget --http-password=Pw7…(16 characters) https://repo.example/x"},
      // curl: only the password of USER:PASSWORD.
      {"/bin/sh -c curl --user=admin:Pw7Kd9Lq2Xz5Mv8N https://x",
       "/bin/sh -c curl --user=admin:Pw7…(16 characters) https://x"},
      {"/bin/sh -c curl -uadmin:Pw7Kd9Lq2Xz5Mv8N https://x",
       "/bin/sh -c curl -uadmin:Pw7…(16 characters) https://x"},
      {"/bin/sh -c curl --proxy-user \"bob:s3cr3t\" https://x",
       "/bin/sh -c curl --proxy-user \"bob:s…(6 characters)\" https://x"},
      {"/bin/sh -c curl -fsSu admin:Pw7Kd9Lq2Xz5Mv8N https://x",
       "/bin/sh -c curl -fsSu admin:Pw7…(16 characters) https://x"},
      // sshpass -p; the -p of the ssh it runs is a port.
      {"/bin/sh -c sshpass -p 'Qz8vLm3Kx9' ssh -p 2222 deploy@host true",
       "/bin/sh -c sshpass -p 'Qz…(10 characters)' ssh -p 2222 deploy@host true"},
      {"/bin/sh -c sshpass -pQz8vLm3Kx9 scp -P 2222 a host:",
       "/bin/sh -c sshpass -pQz…(10 characters) scp -P 2222 a host:"},
      // Commands in quotes, after wrappers and operators.
      {"/bin/sh -c bash -c \"mysql -pK8jHq2LmNx7Vb4Zt app < /dump.sql\"",
       "/bin/sh -c bash -c \"mysql -pK8j…(16 characters) app < /dump.sql\""},
      {"/bin/bash -o pipefail -c set -e; cd /app && mysql -pK8jHq2LmNx7Vb4Zt app",
       "/bin/bash -o pipefail -c set -e; cd /app && mysql -pK8j…(16 characters) app"},
      {"/bin/sh -c su mysql -c 'mysqladmin -uroot -pK8jHq2LmNx7Vb4Zt ping' 2>&1 | tee log",
       "/bin/sh -c su mysql -c 'mysqladmin -uroot -pK8j…(16 characters) ping' 2>&1 | tee log"},
      // Exec-form instructions, as both builders record them.
      {"/bin/sh -c #(nop)  CMD [\"/bin/sh\" \"-c\" \"mysql -pK8jHq2LmNx7Vb4Zt app\"]",
       "/bin/sh -c #(nop)  CMD [\"/bin/sh\" \"-c\" \"mysql -pK8j…(16 characters) app\"]"},
      {"ENTRYPOINT [\"sshpass\",\"-pQz8vLm3Kx9\",\"ssh\",\"h\"]",
       "ENTRYPOINT [\"sshpass\",\"-pQz…(10 characters)\",\"ssh\",\"h\"]"},
      // BuildKit's build arguments are left to their rule; the command after them is read.
      {"RUN |1 HTTP_PROXY=http://proxy:3128 /bin/sh -c mysql -pK8jHq2LmNx7Vb4Zt # buildkit",
       "RUN |1 HTTP_PROXY=http://proxy:3128 /bin/sh -c mysql -pK8j…(16 characters) # buildkit"},
  };
  for (const auto& [step, shown] : cases) EXPECT_EQ(Shown(step), shown) << step;
}

// Forms a trial found still shown: passwords on standard input, in SQL
// text, in the words of tools with a form of their own, in a URL's query.
TEST(StepSecrets, InputSqlToolsAndQueriesAreHidden) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"/bin/sh -c echo 'root:Qz8vLm3Kx9' | chpasswd",
       "/bin/sh -c echo 'root:Qz…(10 characters)' | chpasswd"},
      {"/bin/sh -c echo \"app:Qz8vLm3Kx9\" | sudo chpasswd && echo done",
       "/bin/sh -c echo \"app:Qz…(10 characters)\" | sudo chpasswd && echo done"},
      {"/bin/sh -c printf 'a:Qz8vLm3Kx9\\nb:Pw7Kd9Lq2X\\n' | chpasswd",
       "/bin/sh -c printf 'a:Qz…(10 characters)\\nb:Pw…(10 characters)\\n' | chpasswd"},
      {"/bin/sh -c chpasswd <<< 'root:Qz8vLm3Kx9'",
       "/bin/sh -c chpasswd <<< 'root:Qz…(10 characters)'"},
      {"/bin/sh -c echo -e 'Qz8vLm3Kx9\\nQz8vLm3Kx9' | passwd root",
       "/bin/sh -c echo -e 'Qz…(10 characters)\\nQz…(10 characters)' | passwd root"},
      {"/bin/sh -c echo Zk3qP9vR2mX7tL4w | docker login -u bot --password-stdin registry.example",
       "/bin/sh -c echo Zk3…(16 characters) | docker login -u bot --password-stdin "
       "registry.example"},
      {"/bin/sh -c psql -c \"CREATE USER app WITH PASSWORD 'K8jHq2LmNx7Vb4Zt'\"",
       "/bin/sh -c psql -c \"CREATE USER app WITH PASSWORD 'K8j…(16 characters)'\""},
      {"/bin/sh -c mysql -e \"CREATE USER 'app'@'%' IDENTIFIED BY 'K8jHq2LmNx7Vb4Zt';\"",
       "/bin/sh -c mysql -e \"CREATE USER 'app'@'%' IDENTIFIED BY 'K8j…(16 characters)';\""},
      {"/bin/sh -c mysql -e \"SET PASSWORD FOR root = PASSWORD('K8jHq2LmNx7Vb4Zt')\"",
       "/bin/sh -c mysql -e \"SET PASSWORD FOR root = PASSWORD('K8j…(16 characters)')\""},
      {"/bin/sh -c mongosh --eval 'db.createUser({user: \"app\", pwd: \"K8jHq2LmNx7Vb4Zt\"})'",
       "/bin/sh -c mongosh --eval 'db.createUser({user: \"app\", "
       "pwd: \"K8j…(16 characters)\"})'"},
      {"/bin/sh -c docker login -u bot -p Zk3qP9vR2mX7tL4w registry.example",
       "/bin/sh -c docker login -u bot -p Zk3…(16 characters) registry.example"},
      {"/bin/sh -c helm registry login -u bot -pZk3qP9vR2mX7tL4w r.example",
       "/bin/sh -c helm registry login -u bot -pZk3…(16 characters) r.example"},
      {"/bin/sh -c htpasswd -cb /etc/nginx/.htpasswd admin Qz8vLm3Kx9",
       "/bin/sh -c htpasswd -cb /etc/nginx/.htpasswd admin Qz…(10 characters)"},
      {"/bin/sh -c htpasswd -nbB admin Qz8vLm3Kx9 > /etc/htpasswd",
       "/bin/sh -c htpasswd -nbB admin Qz…(10 characters) > /etc/htpasswd"},
      {"/bin/sh -c openssl pkcs12 -export -in c.pem -out c.p12 -passout pass:Qz8vLm3Kx9",
       "/bin/sh -c openssl pkcs12 -export -in c.pem -out c.p12 -passout pass:Qz…(10 characters)"},
      {"/bin/sh -c openssl enc -aes-256-cbc -k Qz8vLm3Kx9 -in a -out b",
       "/bin/sh -c openssl enc -aes-256-cbc -k Qz…(10 characters) -in a -out b"},
      {"/bin/sh -c keytool -importcert -keystore k.jks -storepass Qz8vLm3Kx9 -noprompt",
       "/bin/sh -c keytool -importcert -keystore k.jks -storepass Qz…(10 characters) -noprompt"},
      {"/bin/sh -c curl -o x.tgz 'https://dl.example/x.tgz?access_token=Zk3qP9vR2mX7tL4w&v=2'",
       "/bin/sh -c curl -o x.tgz "
       "'https://dl.example/x.tgz?access_token=Zk3…(16 characters)&v=2'"},
  };
  for (const auto& [step, shown] : cases) EXPECT_EQ(Shown(step), shown) << step;
}

// Forms a second trial found still shown: redis-cli's password, HTTP
// headers that carry a credential, npm's auth settings, the operands of
// openssl passwd (in $(…) too), and options named for a token.
TEST(StepSecrets, RedisHeadersNpmAndOpensslPasswdAreHidden) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"/bin/sh -c redis-cli -h cache -a Qz8vLm3Kx9 ping",
       "/bin/sh -c redis-cli -h cache -a Qz…(10 characters) ping"},
      {"/bin/sh -c redis-cli --pass 'Qz8vLm3Kx9' --no-auth-warning ping",
       "/bin/sh -c redis-cli --pass 'Qz…(10 characters)' --no-auth-warning ping"},
      {"CMD [\"redis-server\", \"--requirepass\", \"Qz8vLm3Kx9\"]",
       "CMD [\"redis-server\", \"--requirepass\", \"Qz…(10 characters)\"]"},
      {"/bin/sh -c curl -fsSL -H 'Authorization: Bearer Zk3qP9vR2mX7tL4w' https://api.example/x",
       "/bin/sh -c curl -fsSL -H 'Authorization: Bearer Zk3…(16 characters)' "
       "https://api.example/x"},
      {"/bin/sh -c curl -H \"Authorization: Basic YWRtaW46UXo4dkxtM0t4OQ==\" https://x",
       "/bin/sh -c curl -H \"Authorization: Basic YWRt…(24 characters)\" https://x"},
      {"/bin/sh -c curl -H 'authorization: token Zk3qP9vR2mX7tL4w' https://x",
       "/bin/sh -c curl -H 'authorization: token Zk3…(16 characters)' https://x"},
      {"/bin/sh -c curl -H 'Authorization: Zk3qP9vR2mX7tL4w' https://x",
       "/bin/sh -c curl -H 'Authorization: Zk3…(16 characters)' https://x"},
      {"/bin/sh -c wget --header=\"Authorization: Bearer Zk3qP9vR2mX7tL4w\" https://x",
       "/bin/sh -c wget --header=\"Authorization: Bearer Zk3…(16 characters)\" https://x"},
      {"/bin/sh -c curl -H 'X-Api-Key: Zk3qP9vR2mX7tL4w' https://x",
       "/bin/sh -c curl -H 'X-Api-Key: Zk3…(16 characters)' https://x"},
      {"/bin/sh -c curl --header 'PRIVATE-TOKEN: Zk3qP9vR2mX7tL4w' https://gitlab.example/api",
       "/bin/sh -c curl --header 'PRIVATE-TOKEN: Zk3…(16 characters)' https://gitlab.example/api"},
      {"/bin/sh -c git -c http.extraHeader=\"X-Auth-Token: Zk3qP9vR2mX7tL4w\" clone https://x/r",
       "/bin/sh -c git -c http.extraHeader=\"X-Auth-Token: Zk3…(16 characters)\" clone "
       "https://x/r"},
      {"/bin/sh -c sh -c \"curl -H 'Authorization: Bearer Zk3qP9vR2mX7tL4w' https://x\"",
       "/bin/sh -c sh -c \"curl -H 'Authorization: Bearer Zk3…(16 characters)' https://x\""},
      {"/bin/sh -c npm config set //registry.npmjs.org/:_authToken Zk3qP9vR2mX7tL4w",
       "/bin/sh -c npm config set //registry.npmjs.org/:_authToken Zk3…(16 characters)"},
      {"/bin/sh -c npm config set //npm.example/:_authToken=Zk3qP9vR2mX7tL4w && npm ci",
       "/bin/sh -c npm config set //npm.example/:_authToken=Zk3…(16 characters) && npm ci"},
      {"/bin/sh -c npm set //npm.example/:_auth YWRtaW46UXo4dkxtM0t4OQ==",
       "/bin/sh -c npm set //npm.example/:_auth YWRt…(24 characters)"},
      {"/bin/sh -c echo '//npm.example/:_password=UXo4dkxtM0t4OQ==' >> ~/.npmrc",
       "/bin/sh -c echo '//npm.example/:_password=UXo…(16 characters)' >> ~/.npmrc"},
      {"/bin/sh -c yarn config set npmAuthToken Zk3qP9vR2mX7tL4w",
       "/bin/sh -c yarn config set npmAuthToken Zk3…(16 characters)"},
      {"/bin/sh -c useradd -m -p $(openssl passwd -1 Qz8vLm3Kx9) app",
       "/bin/sh -c useradd -m -p $(openssl passwd -1 Qz…(10 characters)) app"},
      {"/bin/sh -c useradd -p \"$(openssl passwd -6 -salt s4lt Qz8vLm3Kx9)\" app",
       "/bin/sh -c useradd -p \"$(openssl passwd -6 -salt s4lt Qz…(10 characters))\" app"},
      {"/bin/sh -c usermod -p `openssl passwd Qz8vLm3Kx9` app",
       "/bin/sh -c usermod -p `openssl passwd Qz…(10 characters)` app"},
      {"/bin/sh -c echo Qz8vLm3Kx9 | openssl passwd -apr1 -stdin > /etc/pw",
       "/bin/sh -c echo Qz…(10 characters) | openssl passwd -apr1 -stdin > /etc/pw"},
      // An option named for a token: joined as NAME=VALUE, or the next word.
      {"/bin/sh -c ./deploy --token=Zk3qP9vR2mX7tL4w --api-key Pw7Kd9Lq2Xz5Mv8N",
       "/bin/sh -c ./deploy --token=Zk3…(16 characters) --api-key Pw7…(16 characters)"},
      {"/bin/sh -c kubeadm join h:6443 --token Zk3qP9vR2mX7tL4w --client-secret Pw7Kd9Lq2Xz5Mv8N",
       "/bin/sh -c kubeadm join h:6443 --token Zk3…(16 characters) --client-secret Pw7…(16 "
       "characters)"},
  };
  for (const auto& [step, shown] : cases) EXPECT_EQ(Shown(step), shown) << step;
}

// Here-documents, as BuildKit records `RUN cmd <<EOF` (the body and its
// delimiter after the command line, then " # buildkit"), as buildah does
// (the body alone, trimmed) and as a script of the classic builder runs
// them: a command's input, a script for a shell, a file cat writes.
TEST(StepSecrets, HereDocumentsAreHidden) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"RUN /bin/sh -c chpasswd <<EOF\nroot:Qz8vLm3Kx9\napp:Pw7Kd9Lq2X\nEOF # buildkit",
       "RUN /bin/sh -c chpasswd <<EOF\nroot:Qz…(10 characters)\napp:Pw…(10 characters)\nEOF "
       "# buildkit"},
      {"/bin/sh -c chpasswd <<EOF\nroot:Qz8vLm3Kx9",  // buildah's.
       "/bin/sh -c chpasswd <<EOF\nroot:Qz…(10 characters)"},
      {"/bin/sh -c chpasswd <<-'END' && echo done\n\troot:Qz8vLm3Kx9\n\tEND\nmysql "
       "-pK8jHq2LmNx7Vb4Zt",
       "/bin/sh -c chpasswd <<-'END' && echo done\n\troot:Qz…(10 characters)\n\tEND\n"
       "mysql -pK8j…(16 characters)"},
      {"RUN /bin/sh -c passwd root <<\"EOF\"\nQz8vLm3Kx9\nQz8vLm3Kx9\nEOF # buildkit",
       "RUN /bin/sh -c passwd root <<\"EOF\"\nQz…(10 characters)\nQz…(10 characters)\nEOF "
       "# buildkit"},
      {"/bin/sh -c docker login -u bot --password-stdin r.example <<EOF\nZk3qP9vR2mX7tL4w\nEOF",
       "/bin/sh -c docker login -u bot --password-stdin r.example <<EOF\nZk3…(16 characters)"
       "\nEOF"},
      {"/bin/sh -c cat <<EOF | sudo chpasswd\nroot:Qz8vLm3Kx9\nEOF",
       "/bin/sh -c cat <<EOF | sudo chpasswd\nroot:Qz…(10 characters)\nEOF"},
      // Two on one line: each body in turn, then the next command line.
      {"/bin/sh -c cat <<A > /etc/a.conf; chpasswd <<B\npassword=K8jHq2LmNx7Vb4Zt\nA\n"
       "root:Qz8vLm3Kx9\nB\ncurl -u admin:Pw7Kd9Lq2Xz5Mv8N https://x",
       "/bin/sh -c cat <<A > /etc/a.conf; chpasswd <<B\npassword=K8j…(16 characters)\nA\n"
       "root:Qz…(10 characters)\nB\ncurl -u admin:Pw7…(16 characters) https://x"},
      // Files written from one: configuration lines, SQL, npm's settings.
      {"RUN /bin/sh -c cat > /etc/app.conf <<'EOF'\n[db]\nhost = db\npassword = K8jHq2LmNx7Vb4Zt\n"
       "EOF # buildkit",
       "RUN /bin/sh -c cat > /etc/app.conf <<'EOF'\n[db]\nhost = db\npassword = K8j…(16 "
       "characters)\nEOF # buildkit"},
      {"/bin/sh -c cat <<EOF > /app/config.yml\ndb:\n  user: app\n  password: "
       "\"K8jHq2LmNx7Vb4Zt\"\n"
       "EOF",
       "/bin/sh -c cat <<EOF > /app/config.yml\ndb:\n  user: app\n  password: \"K8j…(16 "
       "characters)\"\nEOF"},
      {"/bin/sh -c cat <<EOF >> /etc/redis/redis.conf\nbind 0.0.0.0\nrequirepass Qz8vLm3Kx9\n"
       "masterauth 'Pw7Kd9Lq2X'\nEOF",
       "/bin/sh -c cat <<EOF >> /etc/redis/redis.conf\nbind 0.0.0.0\nrequirepass Qz…(10 "
       "characters)\nmasterauth 'Pw…(10 characters)'\nEOF"},
      {"/bin/sh -c cat <<EOF > /root/.netrc\nmachine repo.example\n  login ci\n  password "
       "Qz8vLm3Kx9\nEOF",
       "/bin/sh -c cat <<EOF > /root/.netrc\nmachine repo.example\n  login ci\n  password "
       "Qz…(10 characters)\nEOF"},
      {"/bin/sh -c tee ~/.npmrc <<EOF\n//npm.example/:_authToken=Zk3qP9vR2mX7tL4w\nEOF",
       "/bin/sh -c tee ~/.npmrc <<EOF\n//npm.example/:_authToken=Zk3…(16 characters)\nEOF"},
      {"/bin/sh -c mysql -uroot <<EOF\nCREATE USER 'app'@'%' IDENTIFIED BY "
       "'K8jHq2LmNx7Vb4Zt';\nEOF",
       "/bin/sh -c mysql -uroot <<EOF\nCREATE USER 'app'@'%' IDENTIFIED BY 'K8j…(16 "
       "characters)';\nEOF"},
      // A script for a shell, or one written to a file, is read as
      // command lines.
      {"/bin/sh -c bash <<'EOF'\nset -e\nmysql -uroot -pK8jHq2LmNx7Vb4Zt app\nEOF",
       "/bin/sh -c bash <<'EOF'\nset -e\nmysql -uroot -pK8j…(16 characters) app\nEOF"},
      {"/bin/sh -c cat <<'EOF' > /entrypoint.sh\n#!/bin/sh\nexport DB_PASSWORD=K8jHq2LmNx7Vb4Zt\n"
       "exec app\nEOF",
       "/bin/sh -c cat <<'EOF' > /entrypoint.sh\n#!/bin/sh\nexport DB_PASSWORD=K8j…(16 "
       "characters)\nexec app\nEOF"},
  };
  for (const auto& [step, shown] : cases) EXPECT_EQ(Shown(step), shown) << step;
}

// What looks like a here-document but is not one, or one cut short, ends
// no reading: the commands after it are read as before.
TEST(StepSecrets, OddHereDocumentsEndNoReading) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"/bin/sh -c echo $((1<<2)); mysql -pK8jHq2LmNx7Vb4Zt",
       "/bin/sh -c echo $((1<<2)); mysql -pK8j…(16 characters)"},
      {"/bin/sh -c cat <<EOF \"a\nEOF\nb\"\nmysql -pK8jHq2LmNx7Vb4Zt",
       "/bin/sh -c cat <<EOF \"a\nEOF\nb\"\nmysql -pK8j…(16 characters)"},
      {"/bin/sh -c cat <<EOF <<EOF\nEOF",  // Two, the second with no body.
       "/bin/sh -c cat <<EOF <<EOF\nEOF"},
  };
  for (const auto& [step, shown] : cases) EXPECT_EQ(Shown(step), shown) << step;
}

// Configuration lines echo and printf write into a file: redis's
// passwords, a .netrc entry, NAME=VALUE in a line of several.
TEST(StepSecrets, ConfigurationLinesEchoWritesAreHidden) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"/bin/sh -c echo \"requirepass Qz8vLm3Kx9\" >> /etc/redis/redis.conf",
       "/bin/sh -c echo \"requirepass Qz…(10 characters)\" >> /etc/redis/redis.conf"},
      {"/bin/sh -c echo masterauth Qz8vLm3Kx9 >> /etc/redis.conf",  // echo's words: one line.
       "/bin/sh -c echo masterauth Qz…(10 characters) >> /etc/redis.conf"},
      {"/bin/sh -c echo 'machine host login u password Qz8vLm3Kx9' > ~/.netrc",
       "/bin/sh -c echo 'machine host login u password Qz…(10 characters)' > ~/.netrc"},
      {"/bin/sh -c printf 'machine h\\nlogin u\\npassword Qz8vLm3Kx9\\n' > ~/.netrc",
       "/bin/sh -c printf 'machine h\\nlogin u\\npassword Qz…(10 characters)\\n' > ~/.netrc"},
      {"/bin/sh -c printf '[db]\\npassword = K8jHq2LmNx7Vb4Zt\\n' > /etc/app.ini",
       "/bin/sh -c printf '[db]\\npassword = K8j…(16 characters)\\n' > /etc/app.ini"},
      {"/bin/sh -c echo 'host=db passwd=' > /x && echo 'db.passwd: K8jHq2LmNx7Vb4Zt' >> /y.yml",
       "/bin/sh -c echo 'host=db passwd=' > /x && echo 'db.passwd: K8j…(16 characters)' >> "
       "/y.yml"},
      {"/bin/sh -c printf 'user:Qz8vLm3Kx9\\n' | chpasswd",  // Already: piped input.
       "/bin/sh -c printf 'user:Qz…(10 characters)\\n' | chpasswd"},
  };
  for (const auto& [step, shown] : cases) EXPECT_EQ(Shown(step), shown) << step;
}

// Found by a user trial: redis's lines that a step writes with a quoted
// password (a space in it), an ACL rule's ">" passwords, and sentinel's
// auth-pass were shown in full, or all but the first word.
TEST(StepSecrets, RedisQuotedAclAndSentinelLinesAreHidden) {
  std::string hash(64, 'a');
  std::vector<std::pair<std::string, std::string>> cases = {
      {"/bin/sh -c echo 'requirepass \"pass word here\"' >> /etc/redis.conf",
       "/bin/sh -c echo 'requirepass \"pa…(14 characters)\"' >> /etc/redis.conf"},
      {"/bin/sh -c echo \"masterauth \\\"pass word here\\\"\" >> /etc/redis.conf",
       "/bin/sh -c echo \"masterauth \\\"pa…(14 characters)\\\"\" >> /etc/redis.conf"},
      {"/bin/sh -c printf 'sentinel auth-pass mymaster %s\\n' Sent1nelPw9 >> /etc/sentinel.conf",
       "/bin/sh -c printf 'sentinel auth-pass mymaster %s\\n' Se…(11 characters) >> "
       "/etc/sentinel.conf"},
      {"/bin/sh -c echo \"sentinel sentinel-pass 'peer pw 12'\" >> /etc/sentinel.conf",
       "/bin/sh -c echo \"sentinel sentinel-pass 'pe…(10 characters)'\" >> /etc/sentinel.conf"},
      {"/bin/sh -c echo 'user default on >s3cretpw ~* +@all' > /etc/redis/users.acl",
       "/bin/sh -c echo 'user default on >s…(8 characters) ~* +@all' > /etc/redis/users.acl"},
      {"RUN /bin/sh -c cat <<EOF > /etc/redis/users.acl\nuser app on >Wr1terPw1 #" + hash +
           " \">second pw 2\" >'3rd pw' ~app:*\nEOF # buildkit",
       "RUN /bin/sh -c cat <<EOF > /etc/redis/users.acl\nuser app on >W…(9 characters) #" + hash +
           " \">se…(11 characters)\" >'3…(6 characters)' ~app:*\nEOF # buildkit"},
  };
  for (const auto& [step, shown] : cases) EXPECT_EQ(Shown(step), shown) << step;

  for (const std::string& step : std::vector<std::string>{
           "/bin/sh -c echo 'user default on nopass ~* +@all' > /etc/redis/users.acl",
           "/bin/sh -c echo 'user app on #" + hash + " ~*' > /etc/redis/users.acl",
           "/bin/sh -c echo 'user app on >$REDIS_PASSWORD ~*' > /etc/redis/users.acl",
           "/bin/sh -c echo 'sentinel monitor mymaster 10.0.0.1 6379 2' >> /etc/sentinel.conf",
       })
    EXPECT_EQ(Shown(step), step);

  std::vector<StepSecret> found =
      FindStepSecrets("/bin/sh -c echo 'user default on >s3cretpw' > /etc/redis/users.acl");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].passed_as, "user default >");
  found = FindStepSecrets("/bin/sh -c echo 'sentinel auth-pass m Sent1nelPw9' >> /s.conf");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].passed_as, "sentinel auth-pass m ");
}

// The commands redis-cli sends that carry a password: AUTH, ACL SETUSER's
// >VALUE rules, CONFIG SET requirepass and masterauth, SENTINEL SET
// auth-pass; its options' values are not read as the command.
TEST(StepSecrets, RedisCliCommandsAreHidden) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"/bin/sh -c redis-cli -h cache ACL SETUSER app on '>Qz8vLm3Kx9' '~*' '+@all'",
       "/bin/sh -c redis-cli -h cache ACL SETUSER app on '>Qz…(10 characters)' '~*' '+@all'"},
      // Unquoted, >VALUE would be a redirection (the shell's, not redis's).
      {"/bin/sh -c redis-cli acl setuser app on \">Qz8vLm3Kx9\" '>Second2pw' '<old' '#" +
           std::string(64, 'a') + "'",
       "/bin/sh -c redis-cli acl setuser app on \">Qz…(10 characters)\" '>S…(9 characters)' "
       "'<…(3 characters)' '#" +
           std::string(64, 'a') + "'"},
      {"/bin/sh -c redis-cli ACL SETUSER app on '>Qz8vLm3Kx9' '<Qz8vLm3Kx9'",
       "/bin/sh -c redis-cli ACL SETUSER app on '>Qz…(10 characters)' '<Qz…(10 characters)'"},
      {"/bin/sh -c redis-cli -p 6380 CONFIG SET requirepass Qz8vLm3Kx9",
       "/bin/sh -c redis-cli -p 6380 CONFIG SET requirepass Qz…(10 characters)"},
      {"/bin/sh -c redis-cli config set maxmemory 100mb masterauth 'Qz8vLm3Kx9' && echo ok",
       "/bin/sh -c redis-cli config set maxmemory 100mb masterauth 'Qz…(10 characters)' && echo "
       "ok"},
      {"/bin/sh -c redis-cli AUTH Qz8vLm3Kx9", "/bin/sh -c redis-cli AUTH Qz…(10 characters)"},
      {"/bin/sh -c redis-cli -n 1 AUTH app Qz8vLm3Kx9 && true",
       "/bin/sh -c redis-cli -n 1 AUTH app Qz…(10 characters) && true"},
      {"/bin/sh -c redis-cli -p 26379 SENTINEL SET mymaster auth-pass Qz8vLm3Kx9",
       "/bin/sh -c redis-cli -p 26379 SENTINEL SET mymaster auth-pass Qz…(10 characters)"},
  };
  for (const auto& [step, shown] : cases) EXPECT_EQ(Shown(step), shown) << step;

  // Commands that only look alike are left as they are: a host named
  // auth, a key named requirepass, a placeholder, the rules of other users.
  for (const std::string& step : std::vector<std::string>{
           "/bin/sh -c redis-cli -h auth ping",
           "/bin/sh -c redis-cli SET requirepass value",
           "/bin/sh -c redis-cli CONFIG GET requirepass",
           "/bin/sh -c redis-cli CONFIG SET requirepass \"$REDIS_PASSWORD\"",
           "/bin/sh -c redis-cli ACL SETUSER app on nopass '~*'",
           "/bin/sh -c redis-cli CONFIG SET maxmemory 100mb",
       })
    EXPECT_EQ(Shown(step), step);

  std::vector<StepSecret> found = FindStepSecrets("/bin/sh -c redis-cli AUTH app Qz8vLm3Kx9");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].passed_as, "redis-cli AUTH … ");
  found = FindStepSecrets("/bin/sh -c redis-cli CONFIG SET requirepass Qz8vLm3Kx9");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].passed_as, "redis-cli CONFIG SET requirepass ");
}

// Found by a user trial: XML that a step writes (Maven's settings.xml)
// showed its <password> in full in every report.
TEST(StepSecrets, XmlElementsNamedForSecretsAreHidden) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"/bin/sh -c mkdir -p /root/.m2 && echo '<server><id>x</id><password>hunter2xyz</password>"
       "</server>' > /root/.m2/settings.xml",
       "/bin/sh -c mkdir -p /root/.m2 && echo '<server><id>x</id><password>hu…(10 characters)"
       "</password></server>' > /root/.m2/settings.xml"},
      {"RUN /bin/sh -c cat <<EOF > /root/.m2/settings.xml\n<servers>\n  <server>\n    <id>x</id>\n"
       "    <password>hunter2xyz</password>\n    <passphrase>Gp9Phr4seXy7</passphrase>\n"
       "  </server>\n</servers>\nEOF # buildkit",
       "RUN /bin/sh -c cat <<EOF > /root/.m2/settings.xml\n<servers>\n  <server>\n    <id>x</id>\n"
       "    <password>hu…(10 characters)</password>\n    <passphrase>Gp…(12 "
       "characters)</passphrase>\n  </server>\n</servers>\nEOF # buildkit"},
      {"/bin/sh -c printf '<apiToken>Tk9vQ2mX7tL4wZ</apiToken>\\n' > /etc/app.xml",
       "/bin/sh -c printf '<apiToken>Tk…(14 characters)</apiToken>\\n' > /etc/app.xml"},
  };
  for (const auto& [step, shown] : cases) EXPECT_EQ(Shown(step), shown) << step;

  // References, names that say no secret, and elements left open.
  for (const char* step : {
           "/bin/sh -c echo '<password>${env.MAVEN_PASSWORD}</password>' > /root/.m2/settings.xml",
           "/bin/sh -c echo '<id>Zq9pL0ngPassw0rd</id><username>Zq9pL0ngPassw0rd</username>' > /x",
           "/bin/sh -c echo '<privateKey>/root/.ssh/id_rsa</privateKey>' > /root/.m2/settings.xml",
           "/bin/sh -c echo '<password>Zq9pL0ngPassw0rd' > /x",
           "/bin/sh -c echo '<password>Zq9pL0ngPassw0rd</passwd>' > /x",
           "/bin/sh -c echo '<<<<password>>>>' > /x",
       })
    EXPECT_EQ(Shown(step), step);
}

// Found by a user trial: ENV ADMIN_PASSWORD=x;y was hidden only up to the
// ';' in its history step (or not at all, with a short x), while the
// config's ENV hid all of it. The builder hands an ENV, ARG or LABEL
// value to no shell: all of it is the value. A RUN step's command line is
// a shell's, and there an unquoted ';' ends the assignment.
TEST(StepSecrets, ValuesOfEnvArgAndLabelStepsRunPastShellOperators) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"/bin/sh -c #(nop)  ENV ADMIN_PASSWORD=Adm1nPass;w0rd99",
       "/bin/sh -c #(nop)  ENV ADMIN_PASSWORD=Adm…(16 characters)"},
      {"ENV ADMIN_PASSWORD=x;yyyyyyyy", "ENV ADMIN_PASSWORD=x;…(10 characters)"},  // BuildKit's.
      {"/bin/sh -c #(nop)  ARG ADMIN_PASSWORD=Adm1nPass;w0rd99",
       "/bin/sh -c #(nop)  ARG ADMIN_PASSWORD=Adm…(16 characters)"},
      {"ARG ADMIN_PASSWORD=Adm1nPass;w0rd99", "ARG ADMIN_PASSWORD=Adm…(16 characters)"},
      {"LABEL admin.pass=a&b|c>d#e(f)`g` other=1", "LABEL admin.pass=a&b…(15 characters) other=1"},
      {"ENV A=1 DB_PASSWORD='Adm1nPass;w0rd99' B=2",
       "ENV A=1 DB_PASSWORD='Adm…(16 characters)' B=2"},
      // The shell's reading: w0rd99 is a command of its own.
      {"/bin/sh -c export ADMIN_PASSWORD=Adm1nPass;w0rd99",
       "/bin/sh -c export ADMIN_PASSWORD=A…(9 characters);w0rd99"},
      {"RUN /bin/sh -c ADMIN_PASSWORD='Adm1nPass;w0rd99' ./setup # buildkit",
       "RUN /bin/sh -c ADMIN_PASSWORD='Adm…(16 characters)' ./setup # buildkit"},
  };
  for (const auto& [step, shown] : cases) EXPECT_EQ(Shown(step), shown) << step;

  // A build argument a RUN step recorded is its whole word, as in ARG.
  std::vector<BuildArg> args = BuildArgs("|1 ADMIN_PASSWORD=Adm1nPass;w0rd99 /bin/sh -c true");
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0].value, "Adm1nPass;w0rd99");

  // Values that say no secret, read the same way, are left as they are.
  for (const char* step :
       {"/bin/sh -c #(nop)  ENV PATH=/x:/y;MODE=a&b TAG=x>y", "LABEL note=\"a;b|c\" ARG=1"})
    EXPECT_EQ(Shown(step), step);
}

// Found by a new user: names whose part is PASS, PWD, PW or PASSPHRASE
// said no secret; a JSON member echo wrote hid `: ` after "password"; the
// %s of printf's format was hidden, not the argument that fills it; and
// a command line echo wrote (into a script) was not read.
TEST(StepSecrets, ShortPasswordNamesJsonPrintfAndEchoedCommandsAreHidden) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"/bin/sh -c #(nop)  ENV DB_PASS=EnvDbPass77x",
       "/bin/sh -c #(nop)  ENV DB_PASS=En…(12 characters)"},
      {"/bin/sh -c #(nop)  LABEL admin.pass=LabelPass99z",
       "/bin/sh -c #(nop)  LABEL admin.pass=La…(12 characters)"},
      {"/bin/sh -c echo DB_PASS=Zq9pL0ngPassw0rd >> /etc/app.env",
       "/bin/sh -c echo DB_PASS=Zq9…(16 characters) >> /etc/app.env"},
      {"/bin/sh -c export GPG_PASSPHRASE=Gp9Phr4seXy7 DB_PWD=Pw0rdDb88x && ./sign",
       "/bin/sh -c export GPG_PASSPHRASE=Gp…(12 characters) DB_PWD=Pw…(10 characters) && ./sign"},
      {"/bin/sh -c echo 'ldap_bind_pw = Ld4pB1ndPw' >> /etc/app.conf",
       "/bin/sh -c echo 'ldap_bind_pw = Ld…(10 characters)' >> /etc/app.conf"},
      {"/bin/sh -c echo 'smtp.pass: Sm7pPa55wd' >> /etc/app.yml",
       "/bin/sh -c echo 'smtp.pass: Sm…(10 characters)' >> /etc/app.yml"},
      {"/bin/sh -c ./run --dbPass=Camel9Pass", "/bin/sh -c ./run --dbPass=Ca…(10 characters)"},
      // JSON members, one or several a line, in echo's words or a file.
      {"/bin/sh -c echo '{\"password\": \"JsonPwVal11\"}' > /etc/app.json",
       "/bin/sh -c echo '{\"password\": \"Js…(11 characters)\"}' > /etc/app.json"},
      {"/bin/sh -c echo \"{\\\"user\\\": \\\"app\\\", \\\"db_pass\\\": \\\"JsonPwVal11\\\"}\" > "
       "/a.json",
       "/bin/sh -c echo \"{\\\"user\\\": \\\"app\\\", \\\"db_pass\\\": \\\"Js…(11 "
       "characters)\\\"}\" "
       "> /a.json"},
      {"/bin/sh -c cat <<EOF > /a.json\n{\n  \"apiToken\": \"Tk9vQ2mX7tL4wZ\"\n}\nEOF",
       "/bin/sh -c cat <<EOF > /a.json\n{\n  \"apiToken\": \"Tk…(14 characters)\"\n}\nEOF"},
      // printf: the argument that fills the directive, not the directive.
      {"/bin/sh -c printf 'requirepass %s\\n' PrintfArgPw77 >> /etc/redis.conf",
       "/bin/sh -c printf 'requirepass %s\\n' Pr…(13 characters) >> /etc/redis.conf"},
      {"/bin/sh -c printf '%s=%s\\n' DB_PASS Zq9pL0ngPw DB_HOST db > /etc/app.env",
       "/bin/sh -c printf '%s=%s\\n' DB_PASS Zq…(10 characters) DB_HOST db > /etc/app.env"},
      {"/bin/sh -c printf 'requirepass %-8s 100%%\\n' PrintfArgPw77 >> /r.conf",
       "/bin/sh -c printf 'requirepass %-8s 100%%\\n' Pr…(13 characters) >> /r.conf"},
      // printf -v VAR keeps its text in VAR; piped, the text printf
      // writes, not its words, is the next command's input.
      {"/bin/sh -c printf -v conf 'requirepass %s\\n' PrintfArgPw77 && echo \"$conf\" > /r.conf",
       "/bin/sh -c printf -v conf 'requirepass %s\\n' Pr…(13 characters) && echo \"$conf\" > "
       "/r.conf"},
      {"/bin/sh -c printf -- 'requirepass %s\\n' PrintfArgPw77 >> /r.conf",
       "/bin/sh -c printf -- 'requirepass %s\\n' Pr…(13 characters) >> /r.conf"},
      {"/bin/sh -c printf 'root:%s\\n' Chp4sswdArg9 | chpasswd",
       "/bin/sh -c printf 'root:%s\\n' Ch…(12 characters) | chpasswd"},
      // Found by a new user: into a subshell.
      {"/bin/sh -c printf 'root:%s\\n' Pz7kQ2wX9mLr4Tn | (chpasswd || true) && echo done",
       "/bin/sh -c printf 'root:%s\\n' Pz7…(15 characters) | (chpasswd || true) && echo done"},
      {"/bin/sh -c echo 'root:Pz7kQ2wX9mLr4Tn' | ( chpasswd )",
       "/bin/sh -c echo 'root:Pz7…(15 characters)' | ( chpasswd )"},
      {"/bin/sh -c printf '%s\\n' Dl0ginPw77x | docker login -u me --password-stdin r.io",
       "/bin/sh -c printf '%s\\n' Dl…(11 characters) | docker login -u me --password-stdin r.io"},
      // A command line echo writes, read as one.
      {"/bin/sh -c echo mysql -uroot -pMyPassW0rd9 app >> /x/run.sh",
       "/bin/sh -c echo mysql -uroot -pMy…(11 characters) app >> /x/run.sh"},
  };
  for (const auto& [step, shown] : cases) EXPECT_EQ(Shown(step), shown) << step;

  // Near misses: the word is a piece of another one, or names a setting.
  for (const char* step : {
           "/bin/sh -c export BYPASS_CACHE=1 COMPASS_DIR=/x PASS_THROUGH=yes && ./run",
           "/bin/sh -c export BYPASS_CACHE=Zq9pL0ngPassw0rd PASSTHROUGH=Zq9pL0ngPassw0rd && ./run",
           "/bin/sh -c echo 'PASS_THROUGH=Zq9pL0ngPassw0rd' > /etc/app.env",
           "/bin/sh -c echo 'compass: Zq9pL0ngPassw0rd' > /etc/app.yml",
           "/bin/sh -c printf 'requirepass %s\\n' > /etc/redis.conf",
           "/bin/sh -c printf 'requirepass %s\\n' \"$REDIS_PASSWORD\" > /etc/redis.conf",
           "/bin/sh -c echo '{\"password\": \"${DB_PASSWORD}\", \"user\": \"Zq9pL0ngPassw0rd\"}'",
           "/bin/sh -c echo mysql -uroot -p app >> /x/run.sh",
           "/bin/sh -c cd /app && PWD=/app ./run",
       })
    EXPECT_EQ(Shown(step), step);
}

TEST(StepSecrets, OrdinaryStepsAreLeftAsTheyAre) {
  for (const char* step : {
           "/bin/sh -c apt-get update && apt-get install -y postgresql-client",
           "/bin/sh -c #(nop)  EXPOSE 8080",
           "EXPOSE map[8080/tcp:{}]",
           "/bin/sh -c docker run -d -p 8080:80 nginx",
           "/bin/sh -c mkdir -p /app && ssh -p 2222 host true",
           "/bin/sh -c PASSWORD_FILE=/run/secrets/db ./start",
           "/bin/sh -c #(nop)  ENV POSTGRES_PASSWORD_FILE=/run/secrets/db",
           "/bin/sh -c export DB_PASSWORD=$DB_PASSWORD && ./start",
           "/bin/sh -c mysql -uroot -p\"$MYSQL_ROOT_PASSWORD\" -e 'select 1'",
           "/bin/sh -c mysql -uroot -p${MYSQL_ROOT_PASSWORD} app",
           "/bin/sh -c mysql -uroot -p\"$(cat /run/secrets/db)\" app",
           "/bin/sh -c mysql -uroot -p app",  // Asks for the password; app is the database.
           "/bin/sh -c mysql -uroot -p",
           "/bin/sh -c curl -u \"$REPO_USER:$REPO_PASSWORD\" https://x",
           "/bin/sh -c curl -u admin https://x",  // Asks for the password.
           "/bin/sh -c curl -fsSL https://x | sh -s -- -p /opt",
           "/bin/sh -c psql --no-password postgres -c 'select 1'",
           "/bin/sh -c docker login -u bot --password-stdin < /run/secrets/pw",
           "/bin/sh -c sshpass -f /run/secrets/pw ssh host true",
           "/bin/sh -c AUTH_TYPE=basic TOKEN_TTL=3600 "
           "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D "
           "./run",
           "/bin/sh -c sed -i 's/^password=.*/password=/' /etc/app.conf",
           "/bin/sh -c grep -q DB_PASSWORD= /etc/app.conf || echo missing",
           "/bin/sh -c echo \"build token: $TOKEN\" > /dev/null",
           "/bin/sh -c useradd -m -p '*' app",
           // Input, SQL and tools that name where the password is.
           "/bin/sh -c echo \"$PW\" | docker login -u bot --password-stdin",
           "/bin/sh -c echo \"root:$ROOT_PW\" | chpasswd",
           "/bin/sh -c echo hello | tee /x && passwd -l root",
           "/bin/sh -c echo 'root:x' > /tmp/a; chpasswd < /run/secrets/pw",
           "/bin/sh -c psql -c \"ALTER USER app PASSWORD NULL\"",
           "/bin/sh -c psql -c \"ALTER USER app WITH PASSWORD :'pw'\"",
           "/bin/sh -c grep -q PASSWORD_HASH /etc/app.conf",
           "/bin/sh -c docker run -d -p 8080:80 -e X=1 nginx",
           "/bin/sh -c htpasswd -c /etc/htpasswd admin",
           "/bin/sh -c openssl pkcs12 -export -passout env:P12_PW -out c.p12",
           "/bin/sh -c openssl rand -hex 16 > /key",
           "/bin/sh -c keytool -list -keystore k.jks -storepass:env KS_PW",
           "/bin/sh -c curl -fsSL 'https://dl.example/x.tgz?version=2&arch=amd64' | tar xz",
           // redis-cli's switch, references, and -a of other tools.
           "/bin/sh -c redis-cli --askpass -h cache ping",
           "/bin/sh -c redis-cli -a \"$REDIS_PASSWORD\" ping",
           "/bin/sh -c cp -a /src /dst && ls -a /dst && redis-cli -h cache ping",
           // Headers that carry no credential, or a reference to one.
           "/bin/sh -c curl -H 'Authorization: Bearer $TOKEN' https://x",
           "/bin/sh -c curl -H \"Authorization: Bearer ${GITHUB_TOKEN}\" https://x",
           "/bin/sh -c wget --header=\"Authorization: Bearer $(cat /run/secrets/t)\" https://x",
           "/bin/sh -c curl -H 'Authorization: Bearer' https://x",
           "/bin/sh -c curl -H 'Accept: application/json' -H 'Content-Type: text/plain' https://x",
           "/bin/sh -c curl -H 'X-Request-Id: 0123456789abcdef' -H 'X-Api-Key: 1' https://x",
           "/bin/sh -c echo 'token: enabled-for-all' > /etc/app.yml",
           // npm settings that hold no credential, and references.
           "/bin/sh -c npm config set registry https://npm.example/ && "
           "npm config set //npm.example/:always-auth true && npm config set auth-type legacy",
           "/bin/sh -c echo \"//npm.example/:_authToken=${NPM_TOKEN}\" > .npmrc",
           "/bin/sh -c npm config get //npm.example/:_authToken",
           "/bin/sh -c npm config set //npm.example/:_authToken \"$NPM_TOKEN\"",
           // openssl passwd with the password elsewhere; other subcommands.
           "/bin/sh -c openssl passwd -1 -stdin < /run/secrets/pw",
           "/bin/sh -c useradd -p \"$(openssl passwd -6 \"$PW\")\" app",
           "/bin/sh -c openssl req -new -key k.pem -passin env:PW -subj /CN=passwd -out r.csr",
           // Options whose names say token, secret or key but hold none.
           "/bin/sh -c ./server --token-ttl 3600 --key-file /etc/k.pem --token-ttl=3600 "
           "--key-file=/etc/k.pem",
           "/bin/sh -c gh auth login --with-token < /run/secrets/gh",
           "/bin/sh -c docker build --secret id=npmrc,src=.npmrc .",
           "/bin/sh -c ./run --ssh-key deploy_key --key client.pem --token --verbose",
           "/bin/sh -c ./run --no-token install --api-key \"$API_KEY\" --auth-token 123456",
           // Here-documents and written lines with no password, or a
           // reference to one.
           "RUN /bin/sh -c cat <<EOF > /etc/motd\nwelcome\nEOF # buildkit",
           "/bin/sh -c chpasswd <<EOF\nroot:$ROOT_PASSWORD\nEOF",
           "/bin/sh -c cat <<'EOF' > /etc/app.conf\npassword = ${DB_PASSWORD}\n"
           "password_file = /run/secrets/db\ntoken: enabled-for-all\nEOF",
           "/bin/sh -c cat <<EOF > /etc/redis.conf\n# requirepass foobared\nEOF",
           "/bin/sh -c echo 'password changed' && echo 'requirepass' >> /etc/redis.conf",
           "/bin/sh -c cat <<",
           "/bin/sh -c cat <<EOF",
       })
    EXPECT_EQ(Shown(step), step);
}

TEST(StepSecrets, CmdAndEntrypointArgumentsAreReadAsWords) {
  EXPECT_EQ(RedactArgvSecrets({"mysqld", "--user=mysql", "--password=K8jHq2LmNx7Vb4Zt"}),
            (std::vector<std::string>{"mysqld", "--user=mysql", "--password=K8j…(16 characters)"}));
  EXPECT_EQ(
      RedactArgvSecrets({"/bin/sh", "-c", "export PASSWORD=hunter2hunter2hunter2 && ./run"}),
      (std::vector<std::string>{"/bin/sh", "-c", "export PASSWORD=hunt…(21 characters) && ./run"}));
  std::vector<std::string> ordinary = {"nginx", "-g", "daemon off;", "-p", "/etc/nginx"};
  EXPECT_EQ(RedactArgvSecrets(ordinary), ordinary);
  EXPECT_TRUE(RedactArgvSecrets({}).empty());
}

TEST(StepSecrets, EntrypointAndCmdAreReadAloneAndTogether) {
  // CMD's words are ENTRYPOINT's arguments: --password is app's option.
  std::vector<ArgvSecret> found = FindArgvSecrets({"app"}, {"--password", "SecretCmdPw5544"});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_TRUE(found[0].in_cmd);
  EXPECT_EQ(found[0].argument, 1u);
  EXPECT_EQ(found[0].secret.begin, 0u);
  EXPECT_EQ(found[0].secret.end, 15u);
  EXPECT_EQ(found[0].secret.passed_as, "app --password ");

  // A CMD that names a command of its own names it, not the wrapper.
  found = FindArgvSecrets({"docker-entrypoint.sh"}, {"app", "--password", "SecretCmdPw5544"});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].secret.passed_as, "app --password ");

  // A CMD that names its own command is read alone too; found once.
  found = FindArgvSecrets({"app", "--token=EntryTok1234567890"},
                          {"mysql", "-pK8jHq2LmNx7Vb4Zt", "app"});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_FALSE(found[0].in_cmd);
  EXPECT_EQ(found[0].argument, 1u);
  EXPECT_EQ(found[0].secret.passed_as, "--token=");
  EXPECT_TRUE(found[1].in_cmd);
  EXPECT_EQ(found[1].argument, 1u);
  EXPECT_EQ(found[1].secret.passed_as, "mysql -p");
  EXPECT_EQ(RedactArgvSecrets({"mysql", "-pK8jHq2LmNx7Vb4Zt", "app"}, found, true),
            (std::vector<std::string>{"mysql", "-pK8j…(16 characters)", "app"}));
  EXPECT_EQ(RedactArgvSecrets({"app", "--token=EntryTok1234567890"}, found, false),
            (std::vector<std::string>{"app", "--token=Ent…(18 characters)"}));

  EXPECT_TRUE(
      FindArgvSecrets({"docker-entrypoint.sh"}, {"postgres", "-c", "max_connections=9"}).empty());
  EXPECT_TRUE(FindArgvSecrets({"app", "--token-ttl=3600", "--key-file=/etc/k"}, {}).empty());
}

TEST(StepSecrets, FindingsNameHowThePasswordWasPassed) {
  std::vector<StepSecret> found = FindStepSecrets(
      "/bin/sh -c export PASSWORD=hunter2hunter2hunter2 && mysql -uroot -pK8jHq2LmNx7Vb4Zt && "
      "curl -u admin:Pw7Kd9Lq2Xz5Mv8N https://x && sshpass -p Qz8vLm3Kx9 ssh h");
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].passed_as, "PASSWORD=");
  EXPECT_EQ(found[0].name, "PASSWORD");
  EXPECT_EQ(found[1].passed_as, "mysql -p");
  EXPECT_EQ(found[2].passed_as, "curl -u admin:");
  EXPECT_EQ(found[3].passed_as, "sshpass -p ");
  for (const StepSecret& secret : found)
    EXPECT_TRUE(secret.name.empty() || secret.name == "PASSWORD");

  found = FindStepSecrets(
      "/bin/sh -c echo 'root:Qz8vLm3Kx9' | chpasswd && mysql -e \"CREATE USER a IDENTIFIED BY "
      "'K8jHq2LmNx7Vb4Zt'\" && curl 'https://u:K8jHq2LmNx@x.example/?token=Zk3qP9vR2mX7tL4w'");
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].passed_as, "input of chpasswd: ");
  EXPECT_EQ(found[1].passed_as, "IDENTIFIED BY '");
  EXPECT_EQ(found[2].passed_as, "?token=");  // Not the URL: it may hold a password too.

  // Each form reads well as findings show it: "history step N, " then
  // passed_as then the redacted password.
  std::vector<std::pair<std::string, std::string>> forms = {
      {"/bin/sh -c htpasswd -b -c /etc/htpasswd admin Qz8vLm3Kx9", "htpasswd -b … admin "},
      {"/bin/sh -c htpasswd -nbB admin Qz8vLm3Kx9", "htpasswd -b … admin "},
      {"/bin/sh -c echo Qz8vLm3Kx9 | docker login --password-stdin r",
       "input of docker --password-stdin: "},
      {"/bin/sh -c docker login -u bot -p Qz8vLm3Kx9 r", "docker login -p "},
      {"/bin/sh -c openssl pkcs12 -export -passout pass:Qz8vLm3Kx9", "openssl -passout pass:"},
      {"/bin/sh -c openssl enc -k Qz8vLm3Kx9", "openssl -k "},
      {"/bin/sh -c keytool -list -storepass Qz8vLm3Kx9", "keytool -storepass "},
      {"/bin/sh -c mysqladmin -uroot password Qz8vLm3Kx9", "mysqladmin password "},
      {"/bin/sh -c psql -c \"ALTER USER a PASSWORD 'Qz8vLm3Kx9'\"", "PASSWORD '"},
      {"/bin/sh -c redis-cli -a Qz8vLm3Kx9 ping", "redis-cli -a "},
      {"/bin/sh -c curl -H 'Authorization: Bearer Qz8vLm3Kx9' https://x",
       "curl Authorization: Bearer "},
      {"/bin/sh -c wget --header='X-Api-Key: Qz8vLm3Kx9' https://x", "wget --header=X-Api-Key: "},
      {"/bin/sh -c npm config set //registry.npmjs.org/:_authToken Qz8vLm3Kx9",
       "//registry.npmjs.org/:_authToken "},
      {"/bin/sh -c npm config set //r.example/:_authToken=Qz8vLm3Kx9", "//r.example/:_authToken="},
      {"/bin/sh -c openssl passwd -1 Qz8vLm3Kx9", "openssl passwd "},
      {"/bin/sh -c ./app --token Qz8vLm3Kx9", "app --token "},
      {"RUN /bin/sh -c chpasswd <<EOF\nroot:Qz8vLm3Kx9\nEOF # buildkit", "input of chpasswd: "},
      {"/bin/sh -c docker login --password-stdin r <<< Qz8vLm3Kx9",
       "input of docker --password-stdin: "},
      {"/bin/sh -c echo 'requirepass Qz8vLm3Kx9' >> /etc/redis.conf", "requirepass "},
      {"/bin/sh -c echo 'machine h login u password Qz8vLm3Kx9' > ~/.netrc", "password "},
      {"/bin/sh -c echo '<password>Qz8vLm3Kx9</password>' > /root/.m2/settings.xml", "<password>"},
      {"/bin/sh -c cat <<EOF > /etc/a.ini\ndb_password = Qz8vLm3Kx9\nEOF", "db_password = "},
  };
  for (const auto& [step, passed_as] : forms) {
    found = FindStepSecrets(step);
    ASSERT_EQ(found.size(), 1u) << step;
    EXPECT_EQ(found[0].passed_as, passed_as) << step;
    EXPECT_EQ(step.substr(found[0].begin, found[0].end - found[0].begin), "Qz8vLm3Kx9") << step;
  }
}

TEST(StepSecrets, BuildArgumentsOfBothBuilders) {
  for (const char* step : {"|2 NPM_TOKEN=Zk3qP9vR2mX7tL4w A=1 /bin/sh -c npm ci",
                           "RUN |2 NPM_TOKEN=Zk3qP9vR2mX7tL4w A=1 /bin/sh -c npm ci # buildkit"}) {
    std::string text = step;
    std::vector<BuildArg> args = BuildArgs(text);
    ASSERT_EQ(args.size(), 2u) << step;
    EXPECT_EQ(args[0].name, "NPM_TOKEN");
    EXPECT_EQ(text.substr(args[0].value_begin, args[0].value.size()), "Zk3qP9vR2mX7tL4w");
    EXPECT_EQ(text.substr(CommandBegin(text)).substr(0, 14), "/bin/sh -c npm") << step;
    EXPECT_TRUE(FindStepSecrets(text).empty()) << step;  // The build-arg rule's.
  }
  EXPECT_TRUE(BuildArgs("/bin/sh -c echo '|2 A=1'").empty());
  EXPECT_TRUE(BuildArgs("|99999999999999999999 A=1").size() == 1);  // Not an overflow.
}

}  // namespace
}  // namespace strata
