// The media landing: the way to Videorama, the radio and live shows (the links are in the page).
import { startPage } from '/assets/app.js';

startPage();
