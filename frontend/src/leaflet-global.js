// Leaflet's plugins (markercluster, heat) extend the global L: make it global before they load
// (imports run in order, so import this module first).
import L from "leaflet";

window.L = L;
export default L;
