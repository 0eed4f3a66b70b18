// A fresh SoftHSMv2 token in its own temp folder with its own SOFTHSM2_CONF,
// for one test case. Never touches the system token folder.
#ifndef STRONGROOM_TESTS_HSM_SOFTHSM_FIXTURE_H_
#define STRONGROOM_TESTS_HSM_SOFTHSM_FIXTURE_H_

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "base/file.h"
#include "hsm/module.h"
#include "hsm/session.h"

namespace sr::test {

inline SecretBytes Pin(std::string_view s) { return SecretBytes(s.begin(), s.end()); }

struct SoftHsmToken {
  std::string dir;
  std::shared_ptr<hsm::Module> module;
  hsm::TokenInfo token;
  SecretBytes so_pin = Pin("so-pin-1234");
  SecretBytes user_pin = Pin("user-pin-5678");

  explicit SoftHsmToken(std::string_view label = "test-token") {
    char tmpl[] = "/tmp/sr-hsm-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    REQUIRE(MakeDirs(JoinPath(dir, "tokens")).ok());
    std::string conf = JoinPath(dir, "softhsm2.conf");
    REQUIRE(WriteFileAtomic(conf, "directories.tokendir = " + JoinPath(dir, "tokens") +
                                      "\nobjectstore.backend = file\nlog.level = ERROR\n")
                .ok());
    REQUIRE(::setenv("SOFTHSM2_CONF", conf.c_str(), 1) == 0);
    auto m = hsm::Module::Load(std::string(hsm::kSoftHsmModulePath));
    REQUIRE_MESSAGE(m.ok(), m.status().message());
    module = *m;
    auto t = module->InitToken(label, so_pin, user_pin);
    REQUIRE_MESSAGE(t.ok(), t.status().message());
    token = *t;
  }

  ~SoftHsmToken() {
    module.reset();  // sessions are gone by now: unload before removing the tokens
    std::filesystem::remove_all(dir);
  }

  std::unique_ptr<hsm::Session> Login() {
    auto s = hsm::Session::Open(module, token, &user_pin);
    REQUIRE_MESSAGE(s.ok(), s.status().message());
    return std::move(s).value();
  }
};

}  // namespace sr::test

#endif  // STRONGROOM_TESTS_HSM_SOFTHSM_FIXTURE_H_
