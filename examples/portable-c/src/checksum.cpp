// FNV-1a 64-bit checksum. This file is C++ on purpose: the example links libstdc++, so the portability check
// has GLIBCXX requirements to verify besides GLIBC ones.
#include "checksum.hpp"

#include <cstdint>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <string>

namespace {

class Fnv1a64 {
public:
    void update(const unsigned char *data, std::size_t len) {
        for (std::size_t i = 0; i < len; ++i) {
            state_ ^= data[i];
            state_ *= kPrime;
        }
    }
    std::string hex() const {
        std::ostringstream s;
        s << std::hex << std::setw(16) << std::setfill('0') << state_;
        return s.str();
    }

private:
    static constexpr std::uint64_t kOffset = 0xcbf29ce484222325ULL;
    static constexpr std::uint64_t kPrime = 0x100000001b3ULL;
    std::uint64_t state_ = kOffset;
};

}  // namespace

extern "C" void kpack_fnv1a64_hex(const unsigned char *data, size_t len, char out[17]) {
    Fnv1a64 h;
    h.update(data, len);
    const std::string text = h.hex();
    std::memcpy(out, text.c_str(), 17);
}
