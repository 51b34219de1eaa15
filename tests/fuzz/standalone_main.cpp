// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput on every
// file given, and on every file of every directory given, so the normal
// suite replays the seed corpora and the committed regression inputs under
// whatever compiler and sanitizers it is built with.  Exit 0 when every input
// ran; an input that breaks an invariant aborts (and names itself first).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

int main(int argc, char **argv)
{
	namespace fs = std::filesystem;
	std::vector<fs::path> inputs;
	for (int i = 1; i < argc; i++) {
		const fs::path p = argv[i];
		if (fs::is_directory(p)) {
			for (const auto &e : fs::directory_iterator(p))
				if (e.is_regular_file())
					inputs.push_back(e.path());
		} else if (fs::is_regular_file(p)) {
			inputs.push_back(p);
		} else {
			std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
			return 2;
		}
	}
	for (const fs::path &p : inputs) {
		std::ifstream in(p, std::ios::binary);
		const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		std::fprintf(stderr, "%s\n", p.c_str());
		LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(bytes.data()), bytes.size());
	}
	std::printf("%zu inputs ran\n", inputs.size());
	return 0;
}
