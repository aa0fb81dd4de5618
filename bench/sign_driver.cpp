// Times robur's offline signing core on one zone file, without Git: parse_zone, sign_zone and
// format_zone from the libraries, then writing the output file. bench/sign_zone.py runs it
// beside `robur zone sign` to show how much of the command's time the signing core takes.
//
// Usage: robur_sign_bench --zone FILE --origin NAME --key K<zone>.+AAA+TTTTT [--key ...]
//                         --output FILE [--nsec3] [--threads N] [--format-only]
// Each --key is a key file stem: STEM.key and STEM.private are read. --format-only skips
// signing and writes the parsed zone, which times the parser and writer on a signed zone.
// The phase times in milliseconds go to stderr as "phase=ms" lines, wall-clock first, then
// CPU time.

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "formats/dnssec/key_file.hpp"
#include "formats/dnssec/signer.hpp"
#include "formats/zone/parser.hpp"
#include "formats/zone/writer.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Arguments {
    std::string zone_path;
    std::string origin;
    std::vector<std::string> key_stems;
    std::string output_path;
    bool nsec3 = false;
    bool format_only = false;
    unsigned threads = 2;
};

std::string read_file(const std::string& path)
{
    std::ifstream input(path, std::ios::binary);
    if (!input) {
        throw std::runtime_error(fmt::format("cannot read {}", path));
    }
    std::ostringstream text;
    text << input.rdbuf();
    return text.str();
}

void write_file(const std::string& path, const std::string& text)
{
    std::ofstream output(path, std::ios::binary | std::ios::trunc);
    output << text;
    output.close();
    if (!output) {
        throw std::runtime_error(fmt::format("cannot write {}", path));
    }
}

double milliseconds_since(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// CPU time of the whole process, all threads, in milliseconds: on a busy machine it varies
// far less than the wall-clock time.
double cpu_milliseconds()
{
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

std::vector<robur::dnssec::KeyPair> load_keys(const std::vector<std::string>& stems)
{
    std::vector<robur::dnssec::KeyPair> keys;
    for (const auto& stem : stems) {
        const std::string public_path = stem + ".key";
        const std::string private_path = stem + ".private";
        auto files = robur::dnssec::parse_key_files(read_file(public_path), public_path,
                                                    read_file(private_path), private_path);
        if (!files) {
            throw std::runtime_error(files.error().message);
        }
        keys.push_back(std::move(files->key));
    }
    return keys;
}

robur::zone::Zone parse(const Arguments& arguments)
{
    auto origin = robur::zone::Name::parse(arguments.origin);
    if (!origin) {
        throw std::runtime_error(origin.error().message);
    }
    robur::zone::ParseOptions options;
    options.origin = *origin;
    auto parsed =
        robur::zone::parse_zone(read_file(arguments.zone_path), arguments.zone_path, options);
    if (!parsed.ok()) {
        for (const auto& diagnostic : parsed.diagnostics) {
            std::cerr << diagnostic.to_string() << '\n';
        }
        throw std::runtime_error("the zone file has errors");
    }
    return std::move(parsed.zone);
}

int run(const Arguments& arguments)
{
    const auto keys = load_keys(arguments.key_stems);

    const double cpu_start = cpu_milliseconds();
    const auto parse_start = Clock::now();
    const robur::zone::Zone zone = parse(arguments);
    const double parse_ms = milliseconds_since(parse_start);
    const double parse_cpu_ms = cpu_milliseconds() - cpu_start;

    if (arguments.format_only) {
        const double format_cpu_start = cpu_milliseconds();
        const auto format_start = Clock::now();
        write_file(arguments.output_path, robur::zone::format_zone(zone));
        std::cerr << fmt::format("parse={:.1f} format+write={:.1f} records={}\n", parse_ms,
                                 milliseconds_since(format_start), zone.records.size());
        std::cerr << fmt::format("cpu parse={:.1f} format+write={:.1f}\n", parse_cpu_ms,
                                 cpu_milliseconds() - format_cpu_start);
        return 0;
    }

    const double sign_cpu_start = cpu_milliseconds();
    const auto sign_start = Clock::now();
    robur::dnssec::SignOptions options;
    options.threads = arguments.threads;
    if (arguments.nsec3) {
        options.nsec3 = robur::dnssec::Nsec3Options{};
    }
    auto signed_zone = robur::dnssec::sign_zone(zone, keys, options);
    if (!signed_zone) {
        throw std::runtime_error(signed_zone.error().message);
    }
    const double sign_ms = milliseconds_since(sign_start);
    const double sign_cpu_ms = cpu_milliseconds() - sign_cpu_start;

    const double format_cpu_start = cpu_milliseconds();
    const auto format_start = Clock::now();
    const std::string text = robur::zone::format_zone(*signed_zone);
    const double format_ms = milliseconds_since(format_start);
    const double format_cpu_ms = cpu_milliseconds() - format_cpu_start;

    const auto write_start = Clock::now();
    write_file(arguments.output_path, text);
    const double write_ms = milliseconds_since(write_start);

    std::cerr << fmt::format("parse={:.1f} sign={:.1f} format={:.1f} write={:.1f} records={}\n",
                             parse_ms, sign_ms, format_ms, write_ms, signed_zone->records.size());
    std::cerr << fmt::format("cpu parse={:.1f} sign={:.1f} format={:.1f}\n", parse_cpu_ms,
                             sign_cpu_ms, format_cpu_ms);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Time parse_zone, sign_zone and format_zone on one zone file"};
    Arguments arguments;
    app.add_option("--zone", arguments.zone_path, "unsigned master file")->required();
    app.add_option("--origin", arguments.origin, "zone apex, absolute")->required();
    app.add_option("--key", arguments.key_stems, "key file path without .key or .private")
        ->required();
    app.add_option("--output", arguments.output_path, "signed master file to write")->required();
    app.add_flag("--nsec3", arguments.nsec3, "NSEC3 with RFC 9276 defaults instead of NSEC");
    app.add_option("--threads", arguments.threads, "signing threads (default: 2)");
    app.add_flag("--format-only", arguments.format_only,
                 "write the parsed zone without signing it (--key is still read)");
    CLI11_PARSE(app, argc, argv);

    try {
        return run(arguments);
    } catch (const std::exception& error) {
        std::cerr << "robur_sign_bench: error: " << error.what() << '\n';
        return 1;
    }
}
