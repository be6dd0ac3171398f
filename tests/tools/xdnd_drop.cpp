// A real X11 drag source for the GUI tests: finds a top-level window by its title and drops
// files on it through the XDND protocol (XdndEnter / XdndPosition / XdndDrop with a
// text/uri-list, answering the target's SelectionRequest), exactly as a file manager does.
// With --close it instead asks the window to close (WM_DELETE_WINDOW), as a window manager's
// close button does.
//
//   xdnd_drop --title PREFIX [--timeout SECONDS] FILE_OR_URI...
//   xdnd_drop --title PREFIX --close
// Paths are sent as percent-encoded file:// URIs; arguments with "://" are sent as they are.
// Exit code 0 when the target accepted the drop and sent XdndFinished.
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

double now_s() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string window_title(Display* d, Window w) {
    Atom net_wm_name = XInternAtom(d, "_NET_WM_NAME", False);
    Atom utf8 = XInternAtom(d, "UTF8_STRING", False);
    Atom type;
    int format;
    unsigned long n, after;
    unsigned char* data = nullptr;
    std::string title;
    if (XGetWindowProperty(d, w, net_wm_name, 0, 1024, False, utf8, &type, &format, &n, &after,
                           &data) == Success &&
        data) {
        title.assign(reinterpret_cast<char*>(data), n);
        XFree(data);
        if (!title.empty()) return title;
    }
    char* name = nullptr;
    if (XFetchName(d, w, &name) && name) {
        title = name;
        XFree(name);
    }
    return title;
}

bool is_xdnd_aware(Display* d, Window w, long* version) {
    Atom aware = XInternAtom(d, "XdndAware", False);
    Atom type;
    int format;
    unsigned long n, after;
    unsigned char* data = nullptr;
    if (XGetWindowProperty(d, w, aware, 0, 1, False, AnyPropertyType, &type, &format, &n, &after,
                           &data) != Success ||
        !data || n == 0) {
        if (data) XFree(data);
        return false;
    }
    *version = static_cast<long>(*reinterpret_cast<unsigned long*>(data));
    XFree(data);
    return true;
}

Window find_window(Display* d, Window root, const std::string& prefix) {
    Window root_ret, parent;
    Window* children = nullptr;
    unsigned int count = 0;
    if (!XQueryTree(d, root, &root_ret, &parent, &children, &count)) return 0;
    Window found = 0;
    for (unsigned int i = 0; i < count && !found; ++i) {
        std::string t = window_title(d, children[i]);
        if (!t.empty() && t.compare(0, prefix.size(), prefix) == 0) {
            XWindowAttributes a;
            if (XGetWindowAttributes(d, children[i], &a) && a.map_state == IsViewable) {
                found = children[i];
            }
        }
        if (!found) found = find_window(d, children[i], prefix);
    }
    if (children) XFree(children);
    return found;
}

std::string to_uri(const std::string& arg) {
    if (arg.find("://") != std::string::npos) return arg;
    // A file URI carries an absolute path (file:///home/...); the part before it is the host.
    std::string path = arg;
    if (path.empty() || path[0] != '/') {
        char cwd[4096];
        if (getcwd(cwd, sizeof cwd)) path = std::string(cwd) + "/" + path;
    }
    static const char* hex = "0123456789ABCDEF";
    std::string uri = "file://";
    for (unsigned char c : path) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
        if (plain) {
            uri += static_cast<char>(c);
        } else {
            uri += '%';
            uri += hex[c >> 4];
            uri += hex[c & 15];
        }
    }
    return uri;
}

void send_client_message(Display* d, Window target, Atom type, long l0, long l1, long l2, long l3,
                         long l4) {
    XEvent ev;
    std::memset(&ev, 0, sizeof ev);
    ev.xclient.type = ClientMessage;
    ev.xclient.display = d;
    ev.xclient.window = target;
    ev.xclient.message_type = type;
    ev.xclient.format = 32;
    ev.xclient.data.l[0] = l0;
    ev.xclient.data.l[1] = l1;
    ev.xclient.data.l[2] = l2;
    ev.xclient.data.l[3] = l3;
    ev.xclient.data.l[4] = l4;
    XSendEvent(d, target, False, NoEventMask, &ev);
    XFlush(d);
}

int usage() {
    std::fprintf(stderr,
                 "usage: xdnd_drop --title PREFIX [--timeout SECONDS] FILE...\n"
                 "       xdnd_drop --title PREFIX [--timeout SECONDS] --close\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string prefix;
    double timeout = 30;
    bool close = false;
    std::vector<std::string> items;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--title" && i + 1 < argc) {
            prefix = argv[++i];
        } else if (a == "--timeout" && i + 1 < argc) {
            timeout = std::atof(argv[++i]);
        } else if (a == "--close") {
            close = true;
        } else {
            items.push_back(a);
        }
    }
    if (prefix.empty() || (items.empty() && !close)) return usage();

    Display* d = XOpenDisplay(nullptr);
    if (!d) {
        std::fprintf(stderr, "xdnd_drop: cannot open display %s\n",
                     std::getenv("DISPLAY") ? std::getenv("DISPLAY") : "(DISPLAY unset)");
        return 1;
    }
    const double deadline = now_s() + timeout;
    Window target = 0;
    long version = 0;
    while (now_s() < deadline) {
        target = find_window(d, DefaultRootWindow(d), prefix);
        if (target && (close || is_xdnd_aware(d, target, &version))) break;
        target = 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!target) {
        std::fprintf(stderr, "xdnd_drop: no window titled '%s...' within %.0f s\n", prefix.c_str(),
                     timeout);
        return 1;
    }

    if (close) {
        Atom protocols = XInternAtom(d, "WM_PROTOCOLS", False);
        Atom del = XInternAtom(d, "WM_DELETE_WINDOW", False);
        send_client_message(d, target, protocols, static_cast<long>(del), CurrentTime, 0, 0, 0);
        XCloseDisplay(d);
        return 0;
    }

    Atom XdndEnter = XInternAtom(d, "XdndEnter", False);
    Atom XdndPosition = XInternAtom(d, "XdndPosition", False);
    Atom XdndStatus = XInternAtom(d, "XdndStatus", False);
    Atom XdndDrop = XInternAtom(d, "XdndDrop", False);
    Atom XdndFinished = XInternAtom(d, "XdndFinished", False);
    Atom XdndLeave = XInternAtom(d, "XdndLeave", False);
    Atom XdndSelection = XInternAtom(d, "XdndSelection", False);
    Atom XdndActionCopy = XInternAtom(d, "XdndActionCopy", False);
    Atom uri_list = XInternAtom(d, "text/uri-list", False);

    std::string payload;
    for (const auto& it : items) payload += to_uri(it) + "\r\n";

    Window source = XCreateSimpleWindow(d, DefaultRootWindow(d), 0, 0, 1, 1, 0, 0, 0);
    XSetSelectionOwner(d, XdndSelection, source, CurrentTime);
    if (XGetSelectionOwner(d, XdndSelection) != source) {
        std::fprintf(stderr, "xdnd_drop: cannot own the XdndSelection\n");
        return 1;
    }
    const long use_version = version < 5 ? version : 5;

    // Centre of the target, in root coordinates.
    XWindowAttributes attrs;
    XGetWindowAttributes(d, target, &attrs);
    int rx = 0, ry = 0;
    Window child;
    XTranslateCoordinates(d, target, DefaultRootWindow(d), attrs.width / 2, attrs.height / 2, &rx,
                          &ry, &child);

    send_client_message(d, target, XdndEnter, static_cast<long>(source), use_version << 24,
                        static_cast<long>(uri_list), 0, 0);
    send_client_message(d, target, XdndPosition, static_cast<long>(source), 0,
                        (static_cast<long>(rx) << 16) | (ry & 0xFFFF), CurrentTime,
                        static_cast<long>(XdndActionCopy));

    enum { WaitStatus, WaitFinished } phase = WaitStatus;
    while (now_s() < deadline) {
        while (XPending(d)) {
            XEvent ev;
            XNextEvent(d, &ev);
            if (ev.type == ClientMessage && ev.xclient.message_type == XdndStatus &&
                phase == WaitStatus) {
                if (!(ev.xclient.data.l[1] & 1)) {
                    std::fprintf(stderr, "xdnd_drop: the window refused the drag\n");
                    send_client_message(d, target, XdndLeave, static_cast<long>(source), 0, 0, 0,
                                        0);
                    return 1;
                }
                send_client_message(d, target, XdndDrop, static_cast<long>(source), 0, CurrentTime,
                                    0, 0);
                phase = WaitFinished;
            } else if (ev.type == SelectionRequest) {
                XSelectionRequestEvent& req = ev.xselectionrequest;
                XEvent reply;
                std::memset(&reply, 0, sizeof reply);
                reply.xselection.type = SelectionNotify;
                reply.xselection.display = d;
                reply.xselection.requestor = req.requestor;
                reply.xselection.selection = req.selection;
                reply.xselection.target = req.target;
                reply.xselection.time = req.time;
                reply.xselection.property = None;
                if (req.target == uri_list) {
                    Atom prop = req.property != None ? req.property : req.target;
                    XChangeProperty(d, req.requestor, prop, uri_list, 8, PropModeReplace,
                                    reinterpret_cast<const unsigned char*>(payload.data()),
                                    static_cast<int>(payload.size()));
                    reply.xselection.property = prop;
                }
                XSendEvent(d, req.requestor, False, NoEventMask, &reply);
                XFlush(d);
            } else if (ev.type == ClientMessage && ev.xclient.message_type == XdndFinished) {
                std::printf("xdnd_drop: dropped %zu item(s) on 0x%lx\n", items.size(),
                            static_cast<unsigned long>(target));
                XDestroyWindow(d, source);
                XCloseDisplay(d);
                return 0;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::fprintf(stderr, "xdnd_drop: no %s from the window within %.0f s\n",
                 phase == WaitStatus ? "XdndStatus" : "XdndFinished", timeout);
    return 1;
}
