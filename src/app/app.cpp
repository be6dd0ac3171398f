// The window: GLFW + OpenGL 3.3 + Dear ImGui, the event loop and its frame pacing, the drop
// callback, fonts and scale, settings persistence, and the test driver hook.
//
// Sections: options | callbacks | style | run_gui (setup, loop, shutdown)
// clang-format off
#include <glad/gl.h>  // first: GLFW must not pull in the system GL header
#include <GLFW/glfw3.h>
// clang-format on
#include "app/app.h"

#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>
#include <stb_image.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "app/controller.h"
#include "app/fonts.h"
#include "app/frame_pacer.h"
#include "app/jobs_model.h"
#include "app/proc_stats.h"
#include "app/run_queue.h"
#include "app/screenshot.h"
#include "app/settings.h"
#include "app/stop_signals.h"
#include "app/test_driver.h"
#include "model/registry.h"
#include "paths.h"
#include "ui/ui.h"

namespace htc::app {

namespace {

// ---- options ----

struct GuiOptions {
    std::string data_dir;
    double scale = 0;
    std::string test_script;
    std::string screenshot_dir;
    std::string exit_state;
    int width = 0, height = 0;
};

// ---- callbacks: they only record; the loop decides what to draw ----

struct LoopSignals {
    bool input = false;
    std::vector<std::string> dropped;
};
LoopSignals* g_signals = nullptr;

void mark_input() {
    if (g_signals) g_signals->input = true;
}

void on_glfw_error(int code, const char* description) {
    std::fprintf(stderr, "htc-trainer: GLFW error %d: %s\n", code, description);
}

void on_drop(GLFWwindow*, int count, const char** paths) {
    // Copy and return: sorting, stat() and counting happen on a worker.
    if (!g_signals) return;
    for (int i = 0; i < count; ++i) g_signals->dropped.emplace_back(paths[i] ? paths[i] : "");
    g_signals->input = true;
}

void install_activity_callbacks(GLFWwindow* w) {
    // Installed before ImGui's backend, which chains to them.
    glfwSetCursorPosCallback(w, [](GLFWwindow*, double, double) { mark_input(); });
    glfwSetMouseButtonCallback(w, [](GLFWwindow*, int, int, int) { mark_input(); });
    glfwSetScrollCallback(w, [](GLFWwindow*, double, double) { mark_input(); });
    glfwSetKeyCallback(w, [](GLFWwindow*, int, int, int, int) { mark_input(); });
    glfwSetCharCallback(w, [](GLFWwindow*, unsigned int) { mark_input(); });
    glfwSetWindowFocusCallback(w, [](GLFWwindow*, int) { mark_input(); });
    glfwSetCursorEnterCallback(w, [](GLFWwindow*, int) { mark_input(); });
    glfwSetWindowSizeCallback(w, [](GLFWwindow*, int, int) { mark_input(); });
    glfwSetFramebufferSizeCallback(w, [](GLFWwindow*, int, int) { mark_input(); });
    glfwSetWindowRefreshCallback(w, [](GLFWwindow*) { mark_input(); });
    glfwSetWindowMaximizeCallback(w, [](GLFWwindow*, int) { mark_input(); });
    glfwSetWindowIconifyCallback(w, [](GLFWwindow*, int) { mark_input(); });
    glfwSetWindowContentScaleCallback(w, [](GLFWwindow*, float, float) { mark_input(); });
}

// ---- style ----

void apply_style(float scale) {
    ImGuiStyle& style = ImGui::GetStyle();
    style = ImGuiStyle();
    ImGui::StyleColorsLight(&style);
    // The seed's light look: white panels, gray-200 borders, purple accents.
    ImVec4* c = style.Colors;
    c[ImGuiCol_WindowBg] = ImVec4(0.976f, 0.980f, 0.984f, 1.0f);
    c[ImGuiCol_ChildBg] = ImVec4(1, 1, 1, 1);
    c[ImGuiCol_Border] = ImVec4(0.898f, 0.906f, 0.922f, 1.0f);
    c[ImGuiCol_Text] = ImVec4(0.067f, 0.094f, 0.153f, 1.0f);
    c[ImGuiCol_TextDisabled] = ImVec4(0.42f, 0.45f, 0.50f, 1.0f);
    c[ImGuiCol_Tab] = ImVec4(0.93f, 0.93f, 0.95f, 1.0f);
    c[ImGuiCol_TabHovered] = ImVec4(0.85f, 0.80f, 0.98f, 1.0f);
    c[ImGuiCol_TabActive] = ImVec4(0.75f, 0.66f, 0.98f, 1.0f);
    c[ImGuiCol_Button] = ImVec4(0.92f, 0.90f, 0.99f, 1.0f);
    c[ImGuiCol_ButtonHovered] = ImVec4(0.85f, 0.80f, 0.98f, 1.0f);
    c[ImGuiCol_ButtonActive] = ImVec4(0.75f, 0.66f, 0.98f, 1.0f);
    c[ImGuiCol_Header] = ImVec4(0.93f, 0.91f, 0.99f, 1.0f);
    c[ImGuiCol_HeaderHovered] = ImVec4(0.88f, 0.84f, 0.99f, 1.0f);
    c[ImGuiCol_HeaderActive] = ImVec4(0.80f, 0.73f, 0.98f, 1.0f);
    c[ImGuiCol_PlotHistogram] = ImVec4(0.49f, 0.23f, 0.93f, 1.0f);
    c[ImGuiCol_PlotLines] = ImVec4(0.49f, 0.23f, 0.93f, 1.0f);
    c[ImGuiCol_FrameBg] = ImVec4(1, 1, 1, 1);
    c[ImGuiCol_CheckMark] = ImVec4(0.49f, 0.23f, 0.93f, 1.0f);
    c[ImGuiCol_TableHeaderBg] = ImVec4(0.976f, 0.980f, 0.984f, 1.0f);
    c[ImGuiCol_TableRowBgAlt] = ImVec4(0.976f, 0.980f, 0.984f, 1.0f);
    style.FrameBorderSize = 1.0f;
    style.FrameRounding = 4.0f;
    style.ChildRounding = 6.0f;
    style.PopupRounding = 6.0f;
    style.WindowRounding = 0.0f;
    style.TabRounding = 4.0f;
    style.GrabRounding = 4.0f;
    style.FramePadding = ImVec2(8, 4);
    style.ItemSpacing = ImVec2(8, 6);
    style.CellPadding = ImVec2(6, 4);
    style.ScaleAllSizes(scale);
}

// The window's icon (for window managers that do not take it from the desktop entry): the
// PNGs rendered from assets/icons/htc-trainer.svg at build time, when they are there.
void set_window_icon(GLFWwindow* window) {
    const std::string exe = executable_path();
    std::vector<unsigned char*> pixels;
    std::vector<GLFWimage> images;
    for (int size : {16, 32, 48, 64, 128}) {
        std::string path = find_icon_png(exe, size);
        if (path.empty()) continue;
        int w = 0, h = 0, n = 0;
        unsigned char* data = stbi_load(path.c_str(), &w, &h, &n, 4);
        if (!data) continue;
        pixels.push_back(data);
        images.push_back(GLFWimage{w, h, data});
    }
    if (!images.empty()) glfwSetWindowIcon(window, static_cast<int>(images.size()), images.data());
    for (unsigned char* p : pixels) stbi_image_free(p);
}

std::string window_title(const Controller& c) {
    auto v = c.active_version();
    return std::string("HTC Trainer - ") + (v ? "model " + version_name(*v) : "no model yet");
}

double cpu_seconds(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double monotonic_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int run_gui(int argc, char** argv) {
    // argv may be: htc-trainer [options] [gui] [options]
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
    if (auto it = std::find(args.begin(), args.end(), "gui"); it != args.end()) args.erase(it);

    // Before any thread starts, so that every thread inherits the blocked SIGINT/SIGTERM and
    // only StopSignals' thread takes them.
    StopSignals::block();
    GuiOptions opt;
    CLI::App cli{"Opens the HTC Trainer window (the same as htc-trainer without a command): drop "
                 "labelled feedback files on it to train a new model version, classify "
                 "documents, follow the training history and switch model versions.",
                 "htc-trainer gui"};
    cli.add_option("--data-dir", opt.data_dir,
                   "Data folder with models, job store and uploads (env HTC_DATA_DIR; default "
                   "$XDG_DATA_HOME/htc-trainer, i.e. ~/.local/share/htc-trainer, or ./db when "
                   "run from the build tree)");
    cli.add_option("--scale", opt.scale, "UI scale (default: the monitor's content scale)")
        ->check(CLI::Range(0.5, 4.0));
    cli.add_option("--test-script", opt.test_script,
                   "Run a test-driver script (see src/app/test_driver.h); exit when it ends");
    cli.add_option("--screenshot-dir", opt.screenshot_dir,
                   "Folder for the test driver's screenshots (default <data>/screenshots)");
    cli.add_option("--exit-state", opt.exit_state,
                   "With --test-script: write the driver's state (JSON) here at exit");
    cli.add_option("--width", opt.width, "Window width in pixels (tests)");
    cli.add_option("--height", opt.height, "Window height in pixels (tests)");
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        cli.parse(reversed);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    }
    const DataLocation location = resolve_data_location(opt.data_dir);
    const std::string data_dir = location.path;
    {
        std::error_code ec;
        std::filesystem::create_directories(data_dir, ec);
        if (ec) {
            std::fprintf(stderr, "htc-trainer: cannot create the data folder %s: %s\n",
                         data_dir.c_str(), ec.message().c_str());
            return 1;
        }
    }
    const std::string settings_path = data_dir + "/gui-settings.json";
    const std::string ini_path = data_dir + "/imgui.ini";
    std::string settings_warning;
    GuiSettings settings = load_settings(settings_path, &settings_warning);
    if (opt.width > 0) settings.window_width = opt.width;
    if (opt.height > 0) settings.window_height = opt.height;

    glfwSetErrorCallback(on_glfw_error);
    if (!glfwInit()) {
        std::fprintf(stderr,
                     "htc-trainer: cannot open a window (no display? set DISPLAY or "
                     "use the command line: htc-trainer --help)\n");
        return 1;
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    glfwWindowHint(GLFW_MAXIMIZED, settings.maximized ? GLFW_TRUE : GLFW_FALSE);
    // WM_CLASS: the desktop entry's StartupWMClass, so launchers match the window to it.
    glfwWindowHintString(GLFW_X11_CLASS_NAME, "htc-trainer");
    glfwWindowHintString(GLFW_X11_INSTANCE_NAME, "htc-trainer");
    GLFWwindow* window = glfwCreateWindow(settings.window_width, settings.window_height,
                                          "HTC Trainer", nullptr, nullptr);
    if (!window) {
        std::fprintf(stderr, "htc-trainer: cannot create an OpenGL 3.3 window\n");
        glfwTerminate();
        return 1;
    }
    set_window_icon(window);
    glfwMakeContextCurrent(window);
    if (!gladLoadGL(glfwGetProcAddress)) {
        std::fprintf(stderr, "htc-trainer: cannot load OpenGL 3.3 functions\n");
        glfwDestroyWindow(window);
        glfwTerminate();
        return 1;
    }
    glfwSwapInterval(1);

    LoopSignals signals;
    g_signals = &signals;
    auto stop_signals = std::make_unique<StopSignals>([] { glfwPostEmptyEvent(); });
    install_activity_callbacks(window);
    glfwSetDropCallback(window, on_drop);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = ini_path.c_str();
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    // A blinking cursor would need frames while idle.
    io.ConfigInputTextCursorBlink = false;
    ImGui_ImplGlfw_InitForOpenGL(window, /*install_callbacks=*/true);
    ImGui_ImplOpenGL3_Init("#version 330 core");

    float content_scale = 1.0f;
    {
        float sx = 1, sy = 1;
        glfwGetWindowContentScale(window, &sx, &sy);
        content_scale = sx > 0 ? sx : 1.0f;
    }
    ui::UiState ui_state;
    auto effective_scale = [&]() -> float {
        if (opt.scale > 0) return static_cast<float>(opt.scale);
        if (settings.scale > 0) return static_cast<float>(settings.scale);
        return content_scale;
    };
    ui_state.scale = effective_scale();
    apply_style(ui_state.scale);
    FontSet fonts = load_fonts(ui_state.scale);

    RunQueue ui_queue;
    ui_queue.set_wake([] { glfwPostEmptyEvent(); });
    Controller controller(data_dir, settings, ui_queue, monotonic_seconds);
    controller.set_locations(location.source_name(), sample_feedback_dir());
    for (const auto& w : fonts.warnings) controller.toast(ToastKind::Warning, w, 10.0);
    if (!settings_warning.empty()) controller.toast(ToastKind::Warning, settings_warning, 10.0);
    JobsModel jobs(controller, ui_queue);

    std::unique_ptr<TestDriver> driver;
    if (!opt.test_script.empty()) {
        std::string dir =
            opt.screenshot_dir.empty() ? data_dir + "/screenshots" : opt.screenshot_dir;
        driver = std::make_unique<TestDriver>(opt.test_script, dir, controller, jobs, ui_state);
        if (!driver->error().empty()) {
            std::fprintf(stderr, "htc-trainer: %s\n", driver->error().c_str());
            return 2;
        }
    }

    FramePacer pacer;
    ProcMonitor proc;
    std::string title = window_title(controller);
    glfwSetWindowTitle(window, title.c_str());
    std::uint64_t seen_changes = 0;
    int exit_code = 0;
    bool was_job_active = false;

    while (!glfwWindowShouldClose(window)) {
        double wait = pacer.next_wait(monotonic_seconds());
        if (wait < 0) {
            glfwWaitEvents();
        } else if (wait > 0) {
            glfwWaitEventsTimeout(wait);
        } else {
            glfwPollEvents();
        }
        if (stop_signals->requested()) {
            glfwSetWindowShouldClose(window, GLFW_TRUE);
            exit_code = 128 + stop_signals->signal_number();
            break;
        }
        if (signals.input) {
            signals.input = false;
            pacer.note_activity();
        }
        if (!signals.dropped.empty()) {
            controller.receive_drop(std::move(signals.dropped));
            signals.dropped.clear();
        }
        controller.tick();
        jobs.tick();
        bool job_active = jobs.job_active();
        if (was_job_active && !job_active && !glfwGetWindowAttrib(window, GLFW_FOCUSED)) {
            glfwRequestWindowAttention(window);
        }
        was_job_active = job_active;
        if (controller.change_counter() != seen_changes) {
            seen_changes = controller.change_counter();
            pacer.note_activity();
        }
        pacer.set_animating(job_active || controller.animating() || (driver && !driver->done()));
        if (driver && driver->wants_fast_frames()) pacer.note_activity();
        pacer.set_deadline(controller.next_deadline());
        const double now = monotonic_seconds();
        if (!pacer.should_draw(now)) continue;

        if (std::string t = window_title(controller); t != title) {
            title = t;
            glfwSetWindowTitle(window, title.c_str());
        }
        if (ui_state.requested_scale > 0 && ui_state.requested_scale != ui_state.scale) {
            ui_state.scale = ui_state.requested_scale;
            settings.scale = ui_state.scale;
            apply_style(ui_state.scale);
            fonts = load_fonts(ui_state.scale);
            ImGui_ImplOpenGL3_DestroyFontsTexture();
            ImGui_ImplOpenGL3_CreateFontsTexture();
        }
        ui_state.requested_scale = 0;
        if (driver) driver->before_frame(now);

        const double cpu_start = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
        const double process_start = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        ImGui::NewFrame();
        ui::Frame frame{controller, jobs, fonts, ui_state, proc};
        ui::draw_main_window(frame);
        ImGui::Render();
        int fb_w = 0, fb_h = 0;
        glfwGetFramebufferSize(window, &fb_w, &fb_h);
        glViewport(0, 0, fb_w, fb_h);
        glClearColor(0.976f, 0.980f, 0.984f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        const double ui_cpu = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
        if (driver) {
            driver->after_render(fb_w, fb_h);
            if (driver->quit_requested()) {
                exit_code = driver->exit_code();
                glfwSetWindowShouldClose(window, GLFW_TRUE);
            }
        }
        glfwSwapBuffers(window);
        if (driver)
            driver->frame_cpu(ui_cpu, cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu_start,
                              cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - process_start);
        pacer.frame_drawn(now);
        if (driver) driver->frame_drawn(now);
    }

    // Persist the window size (unmaximized) and the settings.
    settings.maximized = glfwGetWindowAttrib(window, GLFW_MAXIMIZED) != 0;
    if (!settings.maximized) {
        glfwGetWindowSize(window, &settings.window_width, &settings.window_height);
    }
    if (opt.width > 0 || opt.height > 0) {
        // A size forced on the command line is not a preference.
        GuiSettings saved = load_settings(settings_path, nullptr);
        settings.window_width = saved.window_width;
        settings.window_height = saved.window_height;
    }
    try {
        save_settings(settings_path, settings);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "htc-trainer: %s\n", e.what());
    }
    ImGui::SaveIniSettingsToDisk(ini_path.c_str());

    if (driver && !opt.exit_state.empty()) {
        std::ofstream out(opt.exit_state);
        out << driver->state().dump(2) << "\n";
    }
    driver.reset();
    jobs.shutdown();
    controller.shutdown();
    ui_queue.set_wake({});
    stop_signals.reset();
    g_signals = nullptr;
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(window);
    glfwTerminate();
    return exit_code;
}

}  // namespace htc::app
