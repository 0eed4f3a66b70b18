// A fresh SoftHSMv2 token in its own temp folder with its own SOFTHSM2_CONF,
// for one test case. Never touches the system token folder.
#ifndef STRONGROOM_TESTS_TESTING_SOFTHSM_H_
#define STRONGROOM_TESTS_TESTING_SOFTHSM_H_

#include <doctest/doctest.h>
#include <stdlib.h>

#include <memory>
#include <string>

#include "base/file.h"
#include "hsm/module.h"
#include "hsm/session.h"
#include "tests/testing/temp_dir.h"

namespace sr::testing {

inline SecretBytes Pin(std::string_view s) { return SecretBytes(s.begin(), s.end()); }

struct SoftHsmToken {
  TempDir tmp{"sr-hsm"};
  std::string dir = tmp.path();
  std::shared_ptr<hsm::Module> module;
  hsm::TokenInfo token;
  SecretBytes so_pin = Pin("so-pin-1234");
  SecretBytes user_pin = Pin("user-pin-5678");

  explicit SoftHsmToken(std::string_view label = "test-token") {
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
    module.reset();  // sessions are gone by now: unload before tmp removes the tokens
  }

  std::unique_ptr<hsm::Session> Login() {
    auto s = hsm::Session::Open(module, token, &user_pin);
    REQUIRE_MESSAGE(s.ok(), s.status().message());
    return std::move(s).value();
  }
};

}  // namespace sr::testing

#endif  // STRONGROOM_TESTS_TESTING_SOFTHSM_H_
